//! The timeline: interactions on every channel, tasks, and consent records.
use crate::error::{Errors, Invalid, optional_text};
use crate::message::{Code, Msg, not_one_of};
use crate::person::Channel;
use crate::{CompanyId, PersonId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

macro_rules! word_enum {
    ($name:ident, [$($variant:ident = $word:literal),*]) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $word),* } }
            pub fn parse(s: &str) -> Result<Self, Msg> {
                let w = s.trim().to_ascii_lowercase();
                Self::ALL.iter().copied().find(|v| v.as_str() == w).ok_or_else(|| {
                    let all: Vec<_> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    not_one_of(s, &all)
                })
            }
        }
    };
}

word_enum!(
    InteractionKind,
    [
        Call = "call",
        Email = "email",
        Meeting = "meeting",
        Sms = "sms",
        Chat = "chat",
        Visit = "visit",
        Social = "social",
        Letter = "letter",
        Note = "note"
    ]
);
word_enum!(
    Direction,
    [
        Inbound = "inbound",
        Outbound = "outbound",
        Internal = "internal"
    ]
);
word_enum!(
    ConsentStatus,
    [
        Granted = "granted",
        Withdrawn = "withdrawn",
        Unknown = "unknown"
    ]
);

/// The record an interaction or a task is about, of any kind (a deal, a ticket...): the
/// kind by its name in the API (`deals`) and the record's id. People and companies are
/// named by their own fields (`person_ids`, `company_id`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct About {
    pub kind: String,
    pub id: uuid::Uuid,
}

impl About {
    /// A kind's name is a short lowercase word; whether it is a known kind and the record
    /// exists is for the services to say.
    fn check(&self) -> Result<(), Msg> {
        let k = &self.kind;
        if k.is_empty() || k.len() > 40 || !k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(Msg::new(Code::NotAKindOfRecord).with("value", k));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct InteractionDraft {
    #[schema(value_type = Option<InteractionKind>)]
    pub kind: Option<String>,
    #[schema(value_type = Option<Direction>)]
    pub direction: Option<String>,
    /// RFC 3339; now when absent.
    pub occurred_at: Option<String>,
    pub duration_minutes: Option<i64>,
    pub subject: Option<String>,
    /// The content: a call summary, an e-mail body, a meeting report (can be long).
    pub body: Option<String>,
    pub person_ids: Vec<PersonId>,
    pub company_id: Option<CompanyId>,
    pub user_ids: Vec<UserId>,
    /// The record of another kind it is about (a deal, a ticket).
    pub about: Option<About>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InteractionData {
    pub kind: InteractionKind,
    pub direction: Option<Direction>,
    pub occurred_at: DateTime<Utc>,
    pub duration_minutes: Option<i64>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub person_ids: Vec<PersonId>,
    pub company_id: Option<CompanyId>,
    pub user_ids: Vec<UserId>,
    pub about: Option<About>,
}

/// A meeting report of a long day fits; a pasted novel does not.
pub const MAX_BODY: usize = 1_000_000;

pub fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, Msg> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Msg::new(Code::NotARfc3339)
                .with("value", s)
                .with("field", field)
        })
}

impl InteractionDraft {
    pub fn validate(&self, now: DateTime<Utc>) -> Result<InteractionData, Invalid> {
        let mut e = Errors::default();
        let kind = match self.kind.as_deref() {
            Some(k) => e.check("kind", InteractionKind::parse(k)),
            None => {
                e.add("kind", Code::Required);
                None
            }
        };
        let direction = self
            .direction
            .as_deref()
            .filter(|d| !d.is_empty())
            .and_then(|d| e.check("direction", Direction::parse(d)));
        let occurred_at = match self.occurred_at.as_deref() {
            Some(t) => e
                .check("occurred_at", parse_time("occurred_at", t))
                .unwrap_or(now),
            None => now,
        };
        if let Some(d) = self.duration_minutes
            && !(0..=24 * 60).contains(&d)
        {
            e.add("duration_minutes", Code::MinutesRange);
        }
        let subject = e
            .check("subject", optional_text(self.subject.as_deref(), 500))
            .flatten();
        let body = e
            .check("body", optional_text(self.body.as_deref(), MAX_BODY))
            .flatten();
        if let Some(about) = &self.about {
            e.check("about.kind", about.check());
        }
        if self.person_ids.is_empty() && self.company_id.is_none() && self.about.is_none() {
            e.add("person_ids", Code::InteractionNeedsSubject);
        }
        let mut person_ids = self.person_ids.clone();
        person_ids.dedup();
        let mut user_ids = self.user_ids.clone();
        user_ids.dedup();
        e.finish(|| InteractionData {
            kind: kind.unwrap_or(InteractionKind::Note),
            direction,
            occurred_at,
            duration_minutes: self.duration_minutes,
            subject,
            body,
            person_ids,
            company_id: self.company_id,
            user_ids,
            about: self.about.clone(),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TaskDraft {
    pub title: Option<String>,
    pub notes: Option<String>,
    /// RFC 3339.
    pub due_at: Option<String>,
    pub assignee_id: Option<UserId>,
    pub person_id: Option<PersonId>,
    pub company_id: Option<CompanyId>,
    pub done: Option<bool>,
    /// The record of another kind it is about (a deal, a ticket).
    pub about: Option<About>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TaskData {
    pub title: String,
    pub notes: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<UserId>,
    pub person_id: Option<PersonId>,
    pub company_id: Option<CompanyId>,
    pub about: Option<About>,
    pub done: bool,
    /// When it was first marked done: kept while it stays done (set by the service, which
    /// knows the task as stored and the time).
    #[serde(skip)]
    pub done_at: Option<DateTime<Utc>>,
}

impl TaskDraft {
    pub fn validate(&self) -> Result<TaskData, Invalid> {
        let mut e = Errors::default();
        let title = e
            .check("title", optional_text(self.title.as_deref(), 300))
            .flatten();
        if title.is_none() && e.is_empty() {
            e.add("title", Code::Required);
        }
        let notes = e
            .check("notes", optional_text(self.notes.as_deref(), 100_000))
            .flatten();
        let due_at = self
            .due_at
            .as_deref()
            .filter(|d| !d.is_empty())
            .and_then(|d| e.check("due_at", parse_time("due_at", d)));
        if let Some(about) = &self.about {
            e.check("about.kind", about.check());
        }
        e.finish(|| TaskData {
            title: title.unwrap_or_default(),
            notes,
            due_at,
            assignee_id: self.assignee_id,
            person_id: self.person_id,
            company_id: self.company_id,
            about: self.about.clone(),
            done: self.done.unwrap_or(false),
            done_at: None,
        })
    }
}

/// A consent as recorded: by whom is the store's concern, what and how is this.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentDraft {
    #[schema(value_type = Channel)]
    pub channel: String,
    #[schema(value_type = ConsentStatus)]
    pub status: String,
    /// Where the consent was given: "web form", "shop", "phone call", "import".
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ConsentData {
    pub channel: Channel,
    pub status: ConsentStatus,
    pub source: Option<String>,
}

impl ConsentDraft {
    pub fn validate(&self) -> Result<ConsentData, Invalid> {
        let mut e = Errors::default();
        let channel = e.check("channel", Channel::parse(&self.channel));
        let status = e.check("status", ConsentStatus::parse(&self.status));
        let source = e
            .check("source", optional_text(self.source.as_deref(), 200))
            .flatten();
        e.finish(|| ConsentData {
            channel: channel.unwrap_or(Channel::Email),
            status: status.unwrap_or(ConsentStatus::Unknown),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interaction_needs_a_kind_and_someone() {
        let err = InteractionDraft::default()
            .validate(Utc::now())
            .unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["kind", "person_ids"]);
        let ok = InteractionDraft {
            kind: Some("meeting".into()),
            occurred_at: Some("2024-03-31T14:00:00+02:00".into()),
            person_ids: vec![PersonId::new()],
            ..Default::default()
        };
        assert_eq!(
            ok.validate(Utc::now()).unwrap().occurred_at.to_rfc3339(),
            "2024-03-31T12:00:00+00:00"
        );
    }

    #[test]
    fn a_task_needs_a_title_and_a_real_due_date() {
        assert!(TaskDraft::default().validate().is_err());
        let bad = TaskDraft {
            title: Some("Call back".into()),
            due_at: Some("tomorrow".into()),
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().0[0].field, "due_at");
    }
}
