//! Posted forms and their errors. Inputs are named as the services name fields
//! (`first_name`, `emails[0].address`), so each error lands next to its input.
use super::i18n::Tr;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use relais_domain::{Invalid, Msg};

/// A posted form, as ordered pairs: a name may repeat.
pub struct Form(pub Fields);

#[derive(Debug, Default, Clone)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed; "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The value of `name` if it is filled in.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Every filled-in value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = StatusCode;

    async fn from_request(req: Request, state: &S) -> Result<Self, StatusCode> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?;
        Ok(Form(Fields(
            form_urlencoded::parse(&bytes).into_owned().collect(),
        )))
    }
}

/// What is wrong with a form, by input name, in the page's language.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(pub Vec<FormError>);

/// One input's error, as the page shows it.
#[derive(Debug, Clone)]
pub struct FormError {
    pub field: String,
    pub message: String,
}

impl FormErrors {
    /// The errors of an `Invalid`, each message in the page's language.
    pub fn from_invalid(i: &Invalid, tr: Tr) -> Self {
        FormErrors(
            i.0.iter()
                .map(|e| FormError {
                    field: e.field.clone(),
                    message: tr.field_error(e),
                })
                .collect(),
        )
    }

    /// One more error, in the page's language.
    pub fn error(&mut self, field: &str, msg: impl Into<Msg>, tr: Tr) {
        self.add(field, &tr.error(&msg.into()));
    }

    /// One more error, already in the page's language.
    pub fn add(&mut self, field: &str, message: &str) {
        self.0.push(FormError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// The messages for one input, joined.
    pub fn get(&self, field: &str) -> Option<String> {
        let m: Vec<&str> = self
            .0
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
            .collect();
        (!m.is_empty()).then(|| m.join("; "))
    }

    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// Errors that no input of the form shows (reported at the top of the form).
    pub fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|e| !shown.iter().any(|s| e.field == *s))
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect()
    }
}
