//! The create and edit form of a record (a person, a company): its inputs, their values and
//! errors, and what happens when the record changed while the user was editing it.
//!
//! The form carries the version it was read at and a copy of the values it started from
//! (`base.<input>`). When the save meets a newer version, what only the other person changed
//! is taken, what only the user changed is kept, and what both changed differently is shown
//! side by side for the user to choose (`choose.<input>` = mine | theirs). Nothing is lost.
use super::form::{Fields, FormErrors};
use std::collections::BTreeMap;

/// A text the page shows: a message of the catalogs, or words a user wrote (the label of a
/// custom field, a user's name).
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    Key(&'static str),
    Text(String),
}

impl Label {
    pub fn show(&self, tr: &super::i18n::Tr) -> String {
        match self {
            Label::Key(k) => tr.t(k).to_string(),
            Label::Text(t) => t.clone(),
        }
    }
}

/// One option of a select.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub value: String,
    pub label: Label,
}

impl Choice {
    /// An option labelled by a message of the catalogs.
    pub fn key(value: &str, key: &'static str) -> Choice {
        Choice {
            value: value.into(),
            label: Label::Key(key),
        }
    }

    /// An option labelled by words of a user.
    pub fn text(value: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            value: value.into(),
            label: Label::Text(label.into()),
        }
    }
}

/// How an input is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Widget {
    Text,
    Email,
    Tel,
    Date,
    Number,
    Textarea,
    Select(Vec<Choice>),
}

/// Options of a select from (value, message key) pairs.
pub fn options(pairs: Vec<(&'static str, &'static str)>) -> Widget {
    Widget::Select(pairs.into_iter().map(|(v, k)| Choice::key(v, k)).collect())
}

/// One input of a form: its name (as the services name the field), its label, its widget.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub label: Label,
    pub widget: Widget,
}

impl Spec {
    pub fn new(name: impl Into<String>, label: &'static str, widget: Widget) -> Spec {
        Spec {
            name: name.into(),
            label: Label::Key(label),
            widget,
        }
    }

    /// An input labelled by words of a user (a custom field's label).
    pub fn labelled(name: impl Into<String>, label: String, widget: Widget) -> Spec {
        Spec {
            name: name.into(),
            label: Label::Text(label),
            widget,
        }
    }
}

/// The values of a form, by input name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values(pub BTreeMap<String, String>);

impl Values {
    /// The values a form sent for these inputs; `prefix` reads another copy (`base.`).
    pub fn from_form(f: &Fields, specs: &[Spec], prefix: &str) -> Values {
        Values(
            specs
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        f.get(&format!("{prefix}{}", s.name)).to_string(),
                    )
                })
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(|s| s.trim()).unwrap_or("")
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_string(), value.into());
    }

    /// A value, or none when the input is empty (an edit clears the field).
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The values of a numbered list of inputs (`emails[0].address`, `emails[1].address`...),
    /// filled ones only.
    pub fn list(&self, prefix: &str, suffix: &str) -> Vec<String> {
        (0..)
            .map_while(|i| self.0.get(&format!("{prefix}[{i}]{suffix}")))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// How many inputs of a numbered list to show: those filled and one more, at least `min`.
pub fn slots(filled: usize, min: usize) -> usize {
    (filled + 1).max(min)
}

/// An input as the template draws it.
pub struct Input {
    pub name: String,
    pub label: Label,
    pub widget: Widget,
    pub value: String,
    pub base: String,
    pub error: Option<String>,
}

impl Input {
    pub fn is_textarea(&self) -> bool {
        self.widget == Widget::Textarea
    }

    /// The `type` of an `<input>`.
    pub fn kind(&self) -> &'static str {
        match self.widget {
            Widget::Email => "email",
            Widget::Tel => "tel",
            Widget::Date => "date",
            Widget::Number => "number",
            _ => "text",
        }
    }

    pub fn options(&self) -> &[Choice] {
        match &self.widget {
            Widget::Select(o) => o,
            _ => &[],
        }
    }

    pub fn is_select(&self) -> bool {
        matches!(self.widget, Widget::Select(_))
    }
}

pub fn inputs(specs: &[Spec], v: &Values, base: &Values, errors: &FormErrors) -> Vec<Input> {
    specs
        .iter()
        .map(|s| Input {
            name: s.name.clone(),
            label: s.label.clone(),
            widget: s.widget.clone(),
            value: v.get(&s.name).to_string(),
            base: base.get(&s.name).to_string(),
            error: errors.get(&s.name),
        })
        .collect()
}

/// An input both people changed differently.
pub struct Clash {
    pub name: String,
    pub label: Label,
    pub mine: String,
    pub theirs: String,
}

/// Resolves an edit that met a newer version: the values to show again, and the inputs for
/// the user to decide.
pub fn reconcile(
    specs: &[Spec],
    mine: &Values,
    theirs: &Values,
    base: &Values,
) -> (Values, Vec<Clash>) {
    let mut merged = mine.clone();
    let mut clashes = Vec::new();
    for s in specs {
        let (m, t, b) = (mine.get(&s.name), theirs.get(&s.name), base.get(&s.name));
        if m == b {
            merged.set(&s.name, t);
        } else if t != b && m != t {
            clashes.push(Clash {
                name: s.name.clone(),
                label: s.label.clone(),
                mine: m.to_string(),
                theirs: t.to_string(),
            });
        }
    }
    (merged, clashes)
}

/// Takes the other version's value wherever the user chose it (`choose.<input>=theirs`):
/// after a conflict the form's base is the other version.
pub fn apply_choices(f: &Fields, mine: &mut Values, base: &Values) {
    for (k, choice) in &f.0 {
        if let Some(name) = k.strip_prefix("choose.")
            && choice == "theirs"
        {
            mine.set(name, base.get(name));
        }
    }
}

/// The errors no input of the form shows, to report above it.
pub fn unplaced(errors: &FormErrors, specs: &[Spec]) -> Vec<String> {
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    errors.others(&names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> Values {
        Values(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn only_what_both_changed_differently_is_left_to_the_user() {
        let specs: Vec<Spec> = ["a", "b", "c", "d"]
            .iter()
            .map(|n| Spec::new(*n, "label", Widget::Text))
            .collect();
        let base = v(&[("a", "1"), ("b", "1"), ("c", "1"), ("d", "1")]);
        let mine = v(&[("a", "mine"), ("b", "1"), ("c", "same"), ("d", "mine")]);
        let theirs = v(&[("a", "1"), ("b", "theirs"), ("c", "same"), ("d", "theirs")]);
        let (merged, clashes) = reconcile(&specs, &mine, &theirs, &base);
        assert_eq!(merged.get("a"), "mine", "only I changed it");
        assert_eq!(merged.get("b"), "theirs", "only they changed it");
        assert_eq!(merged.get("c"), "same");
        assert_eq!(clashes.len(), 1);
        assert_eq!(
            (
                clashes[0].name.as_str(),
                clashes[0].mine.as_str(),
                clashes[0].theirs.as_str()
            ),
            ("d", "mine", "theirs")
        );
    }

    #[test]
    fn numbered_lists_read_until_the_first_gap() {
        let values = v(&[
            ("emails[0].address", "a@x.example"),
            ("emails[1].address", " "),
            ("emails[2].address", "c@x.example"),
        ]);
        assert_eq!(
            values.list("emails", ".address"),
            ["a@x.example", "c@x.example"]
        );
        assert_eq!(slots(0, 2), 2);
        assert_eq!(slots(3, 2), 4);
    }
}

/// The inputs every record has besides its own: its owner (the dedicated advisor) and the
/// custom fields an admin defined for its kind.
pub mod shared {
    use super::super::form::FormErrors;
    use super::super::i18n::Tr;
    use super::{Choice, Spec, Values, Widget};
    use relais_core::custom_fields::CustomFieldView;
    use relais_core::users::UserView;
    use relais_domain::UserId;
    use relais_domain::custom::{CustomFieldKind, Entity};
    use relais_domain::person::Address;
    use serde_json::Value;
    use std::collections::BTreeMap;

    const ADDRESS: [(&str, &str); 4] = [
        ("street", "person.street"),
        ("postal_code", "person.postal_code"),
        ("city", "person.city"),
        ("country", "person.country"),
    ];

    /// The inputs of a record's first address (the others are kept as they are).
    pub fn address() -> Vec<Spec> {
        ADDRESS
            .iter()
            .map(|(f, label)| Spec::new(format!("addresses[0].{f}"), label, Widget::Text))
            .collect()
    }

    pub fn address_values(v: &mut Values, addresses: &[Address]) {
        if let Some(a) = addresses.first() {
            let text = |o: &Option<String>| o.clone().unwrap_or_default();
            v.set("addresses[0].street", text(&a.street));
            v.set("addresses[0].postal_code", text(&a.postal_code));
            v.set("addresses[0].city", text(&a.city));
            v.set("addresses[0].country", text(&a.country));
        }
    }

    /// The addresses as the services read them: the first from the form, keeping what the
    /// form does not show of it (its kind, `kind` for a new one, and its region), then the
    /// others as they are.
    pub fn addresses(v: &Values, current: &[Address], kind: &str) -> Vec<Address> {
        let name = |f: &str| format!("addresses[0].{f}");
        let mut list = Vec::new();
        if ADDRESS.iter().any(|(f, _)| !v.get(&name(f)).is_empty()) {
            let first = current.first();
            list.push(Address {
                kind: first.map_or(kind, |a| a.kind.as_str()).to_string(),
                street: v.opt(&name("street")),
                postal_code: v.opt(&name("postal_code")),
                city: v.opt(&name("city")),
                region: first.and_then(|a| a.region.clone()),
                country: v.opt(&name("country")),
            });
        }
        list.extend(current.get(1..).unwrap_or(&[]).iter().cloned());
        list
    }

    /// Tags as typed: words between commas.
    pub fn tags_value(v: &mut Values, tags: &[String]) {
        v.set("tags", tags.join(", "));
    }

    pub fn tags(v: &Values) -> Vec<String> {
        v.get("tags")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The owner select: nobody, or one of the active users.
    pub fn owner(users: &[UserView], label: &'static str) -> Spec {
        let mut choices = vec![Choice::key("", "form.nobody")];
        choices.extend(
            users
                .iter()
                .filter(|u| u.active)
                .map(|u| Choice::text(u.id.0.to_string(), u.name.clone())),
        );
        Spec::new("owner_id", label, Widget::Select(choices))
    }

    pub fn owner_value(v: &mut Values, owner: Option<UserId>) {
        v.set(
            "owner_id",
            owner.map(|u| u.0.to_string()).unwrap_or_default(),
        );
    }

    /// The advisor chosen: nobody, or a user (an id that is none is the form's error).
    pub fn owner_of(v: &Values, errors: &mut FormErrors, tr: Tr) -> Option<UserId> {
        match v.get("owner_id") {
            "" => None,
            id => UserId::parse(id)
                .map_err(|m| errors.error("owner_id", m, tr))
                .ok(),
        }
    }

    /// An input per custom field of `entity`, named `custom.<key>` as the services name
    /// their errors.
    pub fn custom(defs: &[CustomFieldView], entity: Entity) -> Vec<Spec> {
        defs.iter()
            .filter(|d| d.entity == entity)
            .map(|d| {
                let widget = match d.kind {
                    CustomFieldKind::Text | CustomFieldKind::Money => Widget::Text,
                    CustomFieldKind::Number => Widget::Number,
                    CustomFieldKind::Date => Widget::Date,
                    CustomFieldKind::Boolean => Widget::Select(vec![
                        Choice::key("", "form.unknown"),
                        Choice::key("true", "form.yes"),
                        Choice::key("false", "form.no"),
                    ]),
                    CustomFieldKind::Choice => {
                        let mut c = vec![Choice::key("", "form.unknown")];
                        c.extend(d.choices.iter().map(|x| Choice::text(x.clone(), x.clone())));
                        Widget::Select(c)
                    }
                };
                Spec::labelled(format!("custom.{}", d.key), d.label.clone(), widget)
            })
            .collect()
    }

    pub fn custom_values(v: &mut Values, custom: &BTreeMap<String, Value>) {
        for (k, value) in custom {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                // An amount, as both languages read it back: "1234.50 EUR".
                Value::Object(_) => {
                    match serde_json::from_value::<relais_domain::money::Money>(value.clone()) {
                        Ok(m) => format!("{} {}", m.decimal(), m.currency),
                        Err(_) => value.to_string(),
                    }
                }
                other => other.to_string(),
            };
            v.set(&format!("custom.{k}"), text);
        }
    }

    /// The custom values of the form; an empty input clears its field.
    /// The custom values as typed, by key (the services read each as its field's type).
    pub fn custom_of(v: &Values, specs: &[Spec]) -> BTreeMap<String, Value> {
        specs
            .iter()
            .filter_map(|s| s.name.strip_prefix("custom.").map(|k| (k, &s.name)))
            .map(|(k, name)| {
                let value = match v.get(name) {
                    "" => Value::Null,
                    x => Value::String(x.to_string()),
                };
                (k.to_string(), value)
            })
            .collect()
    }
}
