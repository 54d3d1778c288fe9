//! What is wrong with an input, as a stable code with named parameters (`too_long`,
//! `max = 100`). The English text, the API's language, is written here once per code; other
//! languages translate the code (the web app's `messages/errors.toml`), so rewording a message
//! never loses a translation, and a test checks that every code has one with the same
//! parameters.
//!
//! Templates fill `{name}` with a parameter, and `{name|one|other}` with the form the
//! language's plural rule picks for the parameter's number ("{n} {n|person|people}").
use std::fmt;

macro_rules! codes {
    ($($variant:ident = $code:literal => $english:literal,)*) => {
        /// Every message Relais can give about an input.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable code clients and catalogs key on.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// The code of that name.
            pub fn parse(code: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str() == code)
            }

            /// The English template.
            pub fn english(self) -> &'static str {
                match self { $(Code::$variant => $english),* }
            }
        }
    };
}

codes! {
    // Any field.
    Required = "required" => "is required",
    Empty = "empty" => "is empty",
    TooLong = "too_long" => "is longer than {max} {max|character|characters}",
    TooLongBytes = "too_long_bytes" => "is longer than {max} bytes",
    TooShort = "too_short" => "must be at least {min} {min|character|characters}",
    TooMany = "too_many" => "holds at most {max} {max|item|items}, not {given}",
    ControlCharacters = "control_characters" => "contains control characters",
    NotOneOf = "not_one_of" => "'{value}' is not one of {allowed}",
    NotANumber = "not_a_number" => "'{value}' is not a number",
    NotANumberHere = "not_a_number_here" => "is not a number",
    Negative = "negative" => "can't be negative",
    NotYesOrNo = "not_yes_or_no" => "'{value}' is not yes or no",
    TrueOrFalse = "true_or_false" => "takes true or false",
    NotAnId = "not_an_id" => "'{value}' is not a valid id",
    OutOfRange = "out_of_range" => "must be a number from {min} to {max}",
    GivenTwice = "given_twice" => "is given twice",
    UnknownParameter = "unknown_parameter" => "unknown parameter (one of {allowed})",
    Malformed = "malformed" => "is not what was expected here: {reason}",
    Other = "other" => "{text}",
    NotACursor = "not_a_cursor" => "is not a cursor given by this list",
    FixedOrder = "fixed_order" => "this list has a fixed order",
    CannotSortBy = "cannot_sort_by" => "cannot sort by '{value}' (one of {allowed}; '-' first for descending)",
    NoSuchRecord = "no_such_record" => "refers to a record that does not exist",
    NoSuchUser = "no_such_user" => "there is no user {id}",
    NoSuchPerson = "no_such_person" => "there is no person {id}",
    NoSuchCompany = "no_such_company" => "there is no company {id}",
    NoSuchTeam = "no_such_team" => "there is no such team",
    NotAKindOfRecord = "not_a_kind_of_record" => "'{value}' is not the name of a kind of record",
    KindHasNoOwner = "kind_has_no_owner" => "a {kind} has no owner",
    KindHasNoTags = "kind_has_no_tags" => "a {kind} has no tags",
    CannotChange = "cannot_change" => "cannot be changed once the field exists",
    MergeWithItself = "merge_with_itself" => "a record cannot be merged with itself",
    NotMergeable = "not_mergeable" => "'{value}' is not a field that can be chosen ({allowed})",
    Unreadable = "unreadable" => "could not be read: {reason}",
    TooLargeToStore = "too_large_to_store" => "is too large to store",
    MergePatchObject = "merge_patch_object" => "a merge patch is a JSON object of the fields to change",
    NotJson = "not_json" => "is not valid JSON: {reason}",
    AlreadyUsed = "already_used" => "is already used",
    LargerThanLimit = "larger_than_limit" => "is larger than the limit of {limit} ({bytes} bytes)",
    CutShort = "cut_short" => "was cut short while it was sent: {reason}",

    // Dates and times.
    NotADate = "not_a_date" => "'{value}' is not a date (2024-03-31 or 31/03/2024)",
    NotABirthday = "not_a_birthday" => "'{value}' is not a date (expected 1815-12-10 or 10/12/1815)",
    InvalidDayMonth = "invalid_day_month" => "{value} is not a valid date",
    YearOutOfRange = "year_out_of_range" => "year {value} is out of range",
    NotADateTime = "not_a_date_time" => "is not a date and time",
    NotARfc3339 = "not_a_rfc3339" => "'{value}' is not a date and time ({field} in RFC 3339: 2024-03-31T14:00:00Z)",
    MinutesRange = "minutes_range" => "must be between 0 and 1440",
    NotMinutes = "not_minutes" => "is not a number of minutes",

    // Contacts.
    NotAnEmail = "not_an_email" => "'{value}' is not a valid e-mail address",
    EmailDomainNoDot = "email_domain_no_dot" => "'{value}' is not a valid e-mail address (the domain has no dot)",
    NotAPhone = "not_a_phone" => "'{value}' is not a valid phone number",
    NotAWebAddress = "not_a_web_address" => "'{value}' is not a web address",
    NotALanguage = "not_a_language" => "'{value}' is not a two-letter language code (fr, en, ...)",
    NotAnAppLanguage = "not_an_app_language" => "'{value}' is not a language of Relais (fr, en)",
    PersonNeedsName = "person_needs_name" => "a person needs a first name, a last name or an e-mail address",
    CompanyNeedsName = "company_needs_name" => "a company needs a name",
    NotACompanyName = "not_a_company_name" => "is not a valid company name",
    OwnParent = "own_parent" => "a company cannot be its own parent, even through its subsidiaries",
    TagWithComma = "tag_with_comma" => "is empty or holds a comma",
    InteractionNeedsSubject = "interaction_needs_subject" => "an interaction is linked to at least one person, a company or another record",
    AboutBuiltIn = "about_built_in" => "'{kind}' is named by its own field (person_ids, person_id, company_id), not by about",
    NoSuchKind = "no_such_kind" => "there is no kind of record '{kind}'",
    NoSuchRecordOfKind = "no_such_record_of_kind" => "there is no record {id} among {kind}",

    // Legal identifiers.
    NotASiren = "not_a_siren" => "'{value}' is not a SIREN (9 digits)",
    SirenCheckDigit = "siren_check_digit" => "'{value}' is not a valid SIREN (wrong check digit)",
    NotASiret = "not_a_siret" => "'{value}' is not a SIRET (14 digits)",
    SiretCheckDigit = "siret_check_digit" => "'{value}' is not a valid SIRET (wrong check digit)",
    SiretNotSiren = "siret_not_siren" => "does not start with the company's SIREN",
    NotAVatNumber = "not_a_vat_number" => "'{value}' is not an intra-EU VAT number",
    FrenchVatShape = "french_vat_shape" => "a French VAT number is FR, a 2-character key and the SIREN",
    VatKey = "vat_key" => "the key does not match the SIREN",

    // Money.
    NotAnAmount = "not_an_amount" => "'{value}' is not an amount (for example 1 234,50 €)",
    NotAnAmountObject = "not_an_amount_object" => "is not an amount ({\"minor\": 1050, \"currency\": \"EUR\"} or \"10,50 €\")",
    AmountTooLarge = "amount_too_large" => "'{value}' is too large an amount",
    TooManyDecimals = "too_many_decimals" => "'{value}' has more than {digits} {digits|decimal|decimals}, the smallest unit of {currency}",
    NotACurrency = "not_a_currency" => "'{value}' is not a currency (an ISO 4217 code: EUR, USD...)",

    // Custom fields.
    NotAKey = "not_a_key" => "'{value}' is not a key (lowercase letters, digits, _)",
    ChoiceNeedsChoices = "choice_needs_choices" => "a choice field needs at least one choice",
    FieldKeyTaken = "field_key_taken" => "{kind} already has a field '{key}'",
    IncompleteField = "incomplete_field" => "incomplete field definition",

    // Attachments.
    FilenameNotUtf8 = "filename_not_utf8" => "is not valid UTF-8 (byte {byte} of the name)",
    FilenameEmpty = "filename_empty" => "is empty: give the file's name, not a folder or dots",
    DirectionMarks = "direction_marks" => "contains invisible direction marks, which can disguise a file's real extension",
    ProgramExtension = "program_extension" => "ends in .{ext}: programs and scripts are never accepted",
    FilenameMissing = "filename_missing" => "is missing: say what the file is called",
    BodyEmpty = "body_empty" => "is empty: send the file's bytes",
    ProgramBody = "program_body" => "is {what}; programs and scripts are never accepted, whatever their type",
    ContentTypeMissing = "content_type_missing" => "is missing: say what type of file this is (application/pdf, image/png...)",
    NotChecked = "not_checked" => "could not be checked",
    OctetStream = "octet_stream" => "application/octet-stream says nothing of the file, and its bytes are not of a format recognised on sight: send the file's own type (text/csv, application/msword...)",
    MultipartRefused = "multipart_refused" => "{type} is not accepted: send the file itself as the body, with its own type",
    TypeNotAccepted = "type_not_accepted" => "'{value}' is not an accepted type of file ({allowed})",
    SaysButIs = "says_but_is" => "says {declared} but the file is {found} ({found_type})",
    SaysButStarts = "says_but_starts" => "says {declared} but the file does not start like {expected}",
    Truncated = "truncated" => "ends before the end of its {format} structure: the file looks truncated",
    CharsetRefused = "charset_refused" => "charset '{value}' is not accepted (one of {allowed})",
    NotText = "not_text" => "contains NUL bytes: it is not text",
    TruncatedUtf8 = "truncated_utf8" => "ends in the middle of a UTF-8 character: the file looks truncated",
    NotUtf8Body = "not_utf8_body" => "is not valid UTF-8 (byte {byte}); if the file is in another encoding, say which: {type}; charset=windows-1252",
    NotAscii = "not_ascii" => "is not US-ASCII (byte {byte})",

    // Users and views.
    EmailTaken = "email_taken" => "a user with this e-mail already exists",
    TeamTaken = "team_taken" => "a team with this name already exists",
    ViewTaken = "view_taken" => "you already have a view of this name",
    NotYourPassword = "not_your_password" => "is not your current password",

    // The filter language.
    FilterSyntax = "filter_syntax" => "at position {at}: expected {expected}, found {found}",
    FilterUnknownField = "filter_unknown_field" => "unknown field '{field}' of {kind} (one of {allowed})",
    FilterUnknownRelation = "filter_unknown_relation" => "unknown relation '{relation}' of {kind} (one of {allowed})",
    FilterNoCustomFields = "filter_no_custom_fields" => "{kind} have no custom fields",
    FilterNoSuchCustomField = "filter_no_such_custom_field" => "there is no custom field '{key}' on {kind}",
    FilterSearchNested = "filter_search_nested" => "q (search) can't be used inside a relation ({kind})",
    FilterNoKind = "filter_no_kind" => "relation '{relation}' has no kind",
    FilterCountWhole = "filter_count_whole" => "is compared with a whole number",
    FilterSumNumbers = "filter_sum_numbers" => "only numbers can be summed",
    FilterCompared = "filter_compared" => "is compared with =, !=, <, <=, > or >=",
    FilterExists = "filter_exists" => "is empty or is not empty (exists takes true or false)",
    FilterInNeedsValues = "filter_in_needs_values" => "in takes at least one value",
    FilterStartsWithText = "filter_starts_with_text" => "starts with applies to text only",
    FilterNotOrdered = "filter_not_ordered" => "can't be compared with <, <=, > or >=",
    FilterListWithIn = "filter_list_with_in" => "a list of values goes with 'in'",
    FilterNotText = "filter_not_text" => "'{value}' is not a text",
    FilterNotAChoice = "filter_not_a_choice" => "'{value}' is not one of the field's choices",
    FilterNotANumber = "filter_not_a_number" => "'{value}' is not a number",
    FilterNotADay = "filter_not_a_day" => "'{value}' is not a date",
    FilterNotYesOrNo = "filter_not_yes_or_no" => "'{value}' is not yes or no (true, false)",
    FilterNotAnId = "filter_not_an_id" => "'{value}' is not an id",
    FilterNotAnAmount = "filter_not_an_amount" => "'{value}' is not an amount",
    FilterNotADate = "filter_not_a_date" => "'{value}' is not a date (2026-03-31, RFC 3339, or a relative date: 90 days ago)",
    FilterConsentStatus = "filter_consent_status" => "takes a status: granted, withdrawn or unknown",
    FilterOwnFieldOnly = "filter_own_field_only" => "takes only a field of the record itself",
    FilterUnknownOperator = "filter_unknown_operator" => "unknown operator in '{value}' (eq, ne, lt, lte, gt, gte, prefix, in, exists)",

    // Import and export.
    FileEmpty = "file_empty" => "the file is empty",
    FileUtf16 = "file_utf16" => "the file is in UTF-16; save it as \"CSV UTF-8\" or \"CSV (separator: semicolon)\"",
    NoColumnRecognised = "no_column_recognised" => "no column is recognised (headers: {headers})",
    UnterminatedHeader = "unterminated_header" => "line {line}: unterminated quoted field in the header",
    NotAMapping = "not_a_mapping" => "'{value}' is not HEADER=field",
    ImportKind = "import_kind" => "'{value}' is not a kind of file that can be imported ({kinds})",
    ExportKind = "export_kind" => "'{value}' is not a kind of record that can be exported ({kinds})",
    ExportKindRequired = "export_kind_required" => "is required: the kind of record to export ({kinds})",
    ExportEverything = "export_everything" => "an export takes every record the filters select",
    CsvOnly = "csv_only" => "{kind} are exported as CSV (vCard is for people)",
    ImportKindRequired = "import_kind_required" => "is required: people, companies or vcard",
    OnlyImportsUndone = "only_imports_undone" => "only an import can be undone",
    NothingToUndo = "nothing_to_undo" => "this import changed nothing that is left to undo (a check, or already undone)",
    UndoTooOld = "undo_too_old" => "imports can be undone for {days} {days|day|days}; this one is older",
    UndoUnfinished = "undo_unfinished" => "only a finished import can be undone (this one is {status})",
    JobEnded = "job_ended" => "the job has already ended ({status})",
    JobFailed = "job_failed" => "the job failed; it has been logged and will be tried again",
    JobStopped = "job_stopped" => "the job stopped unexpectedly",
    JobSettings = "job_settings" => "these settings can't be read: {reason}",
    JobUnknownKind = "job_unknown_kind" => "no worker knows jobs of kind '{kind}'",
    Forbidden = "forbidden" => "your role may not {what}",
    UserDeactivated = "user_deactivated" => "{email} is deactivated",
    TrashBeforePurge = "trash_before_purge" => "move the {kind} to the trash before purging",
    InteractionInTrash = "interaction_in_trash" => "the interaction is in the trash: restore it before changing its attachments",
    MappingUnknownTarget = "mapping_unknown_target" => "unknown target field \"{value}\" in the column mapping",
    MappingUnknownColumn = "mapping_unknown_column" => "the column mapping names a column \"{value}\" that the file does not have",
    ReadError = "read_error" => "read error: {reason}",
    RowFieldCount = "row_field_count" => "{found} {found|field|fields}, the header has {expected}",
    RowInvalidUtf8 = "row_invalid_utf8" => "invalid UTF-8 in column {column}",
    RowUnterminated = "row_unterminated" => "unterminated quoted field: the file ends inside quotes (truncated file?)",
    NoSuchParent = "no_such_parent" => "there is no company named '{name}' (import the group first)",
    VcardUtf16Invalid = "vcard_utf16_invalid" => "the file is UTF-16 but holds invalid characters",
    NotAVcard = "not_a_vcard" => "no BEGIN:VCARD line: this is not a vCard file",
    CardTruncated = "card_truncated" => "truncated, no END:VCARD",
    CardUnreadable = "card_unreadable" => "could not be read as a vCard",
    CardAnonymous = "card_anonymous" => "no name, e-mail or phone number: nothing says who this is",
    CardNotUtf8 = "card_not_utf8" => "{property} is not valid UTF-8 and has no CHARSET parameter",
    CardBadCharsetText = "card_bad_charset_text" => "{property} is not valid {charset} text",
    CardUnknownCharset = "card_unknown_charset" => "{property} has an unknown CHARSET {charset} and is not UTF-8",
    NotFound = "not_found" => "{what} not found",
}

/// `'value' is not one of a, b, c`.
pub fn not_one_of(value: &str, allowed: &[&str]) -> Msg {
    Msg::new(Code::NotOneOf)
        .with("value", value)
        .with("allowed", allowed.join(", "))
}

/// One message: a code and the values of its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    pub code: Code,
    pub params: Vec<(String, String)>,
}

impl Msg {
    pub fn new(code: Code) -> Msg {
        Msg {
            code,
            params: Vec::new(),
        }
    }

    /// The message with one more parameter.
    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Msg {
        self.params.push((name.to_string(), value.to_string()));
        self
    }

    /// The message about a part of the input (`custom.vip` in a filter): written after it.
    pub fn within(self, part: impl fmt::Display) -> Msg {
        let part = part.to_string();
        self.with("within", part)
    }

    /// The message without saying it is about `part`, when what carries it names the part
    /// already (a query parameter).
    pub fn outside(mut self, part: &str) -> Msg {
        self.params.retain(|(k, v)| !(k == "within" && v == part));
        self
    }

    /// The message written with `template` (the code's text in some language), whose plural
    /// forms follow `plural`; after the part it is about, if any.
    pub fn render(&self, template: &str, plural: Plural) -> String {
        let text = fill(template, &self.params, plural);
        match self.params.iter().rev().find(|(k, _)| k == "within") {
            Some((_, part)) => format!("{part}: {text}"),
            None => text,
        }
    }
}

impl From<Code> for Msg {
    fn from(code: Code) -> Msg {
        Msg::new(code)
    }
}

/// In English, the API's language.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(self.code.english(), Plural::English))
    }
}

/// A language's rule for which plural form a number takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plural {
    /// 1 is singular, everything else plural ("0 people").
    English,
    /// 0 and 1 are singular ("0 personne", "1,5 heure").
    French,
}

impl Plural {
    /// Whether `n` takes the singular form.
    pub fn one(self, n: &str) -> bool {
        let Ok(n) = n.trim().replace(',', ".").parse::<f64>() else {
            return false;
        };
        match self {
            Plural::English => n == 1.0,
            Plural::French => (0.0..2.0).contains(&n.abs()),
        }
    }
}

/// Fills a template: `{name}` with the parameter's value, `{name|one|other}` with the plural
/// form its number takes. A hole without a parameter is kept as written, so that a mistake
/// in a catalog shows rather than vanishes.
pub fn fill(template: &str, params: &[(String, String)], plural: Plural) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        let Some((hole, tail)) = after.split_once('}') else {
            out.push('{');
            rest = after;
            continue;
        };
        let mut parts = hole.split('|');
        let name = parts.next().unwrap_or_default();
        let value = params.iter().find(|(k, _)| *k == name).map(|(_, v)| v);
        match (value, parts.next(), parts.next()) {
            (Some(v), Some(one), Some(other)) => {
                out.push_str(if plural.one(v) { one } else { other })
            }
            (Some(v), None, _) => out.push_str(v),
            _ => {
                out.push('{');
                out.push_str(hole);
                out.push('}');
            }
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// The parameter names a template uses.
pub fn holes(template: &str) -> std::collections::BTreeSet<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}'))
        .filter_map(|(hole, _)| hole.split('|').next())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_its_code_filled_with_its_parameters_in_english() {
        let m = Msg::new(Code::TooLong).with("max", 100);
        assert_eq!(m.to_string(), "is longer than 100 characters");
        assert_eq!(
            Msg::new(Code::TooLong).with("max", 1).to_string(),
            "is longer than 1 character"
        );
        assert_eq!(m.code.as_str(), "too_long");
    }

    #[test]
    fn plural_forms_follow_each_language() {
        let t = "{n} {n|personne|personnes}";
        let p = |n: &str| vec![("n".to_string(), n.to_string())];
        assert_eq!(fill(t, &p("0"), Plural::French), "0 personne");
        assert_eq!(fill(t, &p("1"), Plural::French), "1 personne");
        assert_eq!(fill(t, &p("1,5"), Plural::French), "1,5 personne");
        assert_eq!(fill(t, &p("2"), Plural::French), "2 personnes");
        let t = "{n} {n|person|people}";
        assert_eq!(fill(t, &p("0"), Plural::English), "0 people");
        assert_eq!(fill(t, &p("1"), Plural::English), "1 person");
        assert_eq!(fill(t, &p("12"), Plural::English), "12 people");
        assert_eq!(fill("{missing} {", &[], Plural::English), "{missing} {");
    }

    #[test]
    fn every_code_is_unique_and_its_template_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert_eq!(
                c.english().matches('{').count(),
                c.english().matches('}').count(),
                "{}",
                c.as_str()
            );
        }
        assert_eq!(
            holes("{n} {n|a|b} {x}").into_iter().collect::<Vec<_>>(),
            ["n", "x"]
        );
    }
}
