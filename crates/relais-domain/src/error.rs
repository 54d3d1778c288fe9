use crate::message::{Code, Msg};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One thing wrong with one field of an input, named as the client wrote it
/// (`emails[1].address`): a stable code with its parameters, and the message in English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    /// What is wrong, stable across versions: `too_long`, `not_an_email`...
    pub code: String,
    /// The values the message names (`{"max": "100"}`).
    pub params: BTreeMap<String, String>,
    /// The message in English.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, msg: impl Into<Msg>) -> FieldError {
        let msg = msg.into();
        FieldError {
            field: field.into(),
            code: msg.code.as_str().to_string(),
            message: msg.to_string(),
            params: msg.params.into_iter().collect(),
        }
    }

    /// The message again, to write it in another language.
    pub fn msg(&self) -> Msg {
        match Code::parse(&self.code) {
            Some(code) => Msg {
                code,
                params: self.params.clone().into_iter().collect(),
            },
            // Written by another version: its English text is all there is.
            None => Msg::new(Code::Other).with("text", &self.message),
        }
    }
}

/// Everything wrong with an input. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render(|m| m.to_string()))]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: impl Into<String>, msg: impl Into<Msg>) -> Self {
        Invalid(vec![FieldError::new(field, msg)])
    }

    /// About the input as a whole (a row of a file that can't be read), not one field.
    pub fn whole(msg: impl Into<Msg>) -> Self {
        Self::one("", msg)
    }

    /// Every error as `field: message` (the message alone when about the whole input),
    /// each message written by `say` (in some language).
    pub fn render(&self, say: impl Fn(&Msg) -> String) -> String {
        self.0
            .iter()
            .map(|e| match e.field.as_str() {
                "" => say(&e.msg()),
                field => format!("{field}: {}", say(&e.msg())),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The same errors, each field named as a part of `part` (`company.name`).
    pub fn within(mut self, part: &str) -> Self {
        for e in &mut self.0 {
            e.field = match e.field.as_str() {
                "" => part.to_string(),
                field => format!("{part}.{field}"),
            };
        }
        self
    }
}

/// Collects field errors while an input is checked, so the user sees all of them at once.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, msg: impl Into<Msg>) {
        self.0.push(FieldError::new(field, msg));
    }

    /// Keeps the value when it parsed, records the error under `field` otherwise.
    pub fn check<T>(&mut self, field: impl Into<String>, r: Result<T, Msg>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }

    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Invalid> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(Invalid(self.0))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Trims a text and turns a blank one into `None`; refuses one longer than `max` characters.
pub fn optional_text(v: Option<&str>, max: usize) -> Result<Option<String>, Msg> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > max => Err(Msg::new(Code::TooLong).with("max", max)),
        Some(s)
            if s.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') =>
        {
            Err(Code::ControlCharacters.into())
        }
        Some(s) => Ok(Some(s.to_string())),
    }
}
