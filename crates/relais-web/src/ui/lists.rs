//! What the lists of people and of companies share: their parameters, the filters of custom
//! fields, the way back after an action on the records ticked.
use super::form::Fields;
use super::record_form::Choice;
use super::session::Signed;
use super::{UiError, UiResult, see_other};
use crate::AppState;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use relais_core::CoreError;
use relais_core::custom_fields::CustomFieldView;
use relais_domain::custom::{CustomFieldKind, Entity};
use std::collections::HashMap;

/// The query string of a list from its parameters, empty ones left out.
pub fn query_of(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish()
}

/// The parameters of a request that `keep` accepts, filled ones only.
pub fn params(parts: &Parts, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, v)| keep(k) && !v.trim().is_empty())
        .collect()
}

/// One parameter of the request, whatever the list keeps.
pub fn param(parts: &Parts, name: &str) -> Option<String> {
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The list to come back to after an action: a page of `base`, never elsewhere.
pub fn back(to: &str, base: &str) -> String {
    if to.starts_with(base) && !to.starts_with("//") {
        to.to_string()
    } else {
        base.to_string()
    }
}

/// The list again, saying how many records an action changed.
pub fn with_notice(to: &str, n: usize) -> String {
    let sep = if to.contains('?') { '&' } else { '?' };
    format!("{to}{sep}changed={n}")
}

/// A filter on a custom field.
pub struct CustomFilter {
    pub name: String,
    pub label: String,
    pub value: String,
    /// Empty for a free text input.
    pub choices: Vec<Choice>,
}

pub fn custom_filters(
    defs: &[CustomFieldView],
    entity: Entity,
    p: &HashMap<String, String>,
) -> Vec<CustomFilter> {
    defs.iter()
        .filter(|d| d.entity == entity)
        .map(|d| {
            let name = format!("custom.{}", d.key);
            let choices = match d.kind {
                CustomFieldKind::Boolean => vec![
                    Choice::key("", "filter.any"),
                    Choice::key("true", "form.yes"),
                    Choice::key("false", "form.no"),
                ],
                CustomFieldKind::Choice => std::iter::once(Choice::key("", "filter.any"))
                    .chain(d.choices.iter().map(|c| Choice::text(c.clone(), c.clone())))
                    .collect(),
                _ => vec![],
            };
            CustomFilter {
                value: p.get(&name).cloned().unwrap_or_default(),
                name,
                label: d.label.clone(),
                choices,
            }
        })
        .collect()
}

/// A CSV file to download.
pub fn csv_download(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Saves the list `list` (at `path`) as it is filtered, under the name the user gave; a
/// refused name comes back to the list with the reason.
pub async fn save_view(s: &AppState, me: &Signed, list: &str, path: &str, f: &Fields) -> UiResult {
    let query = f.get("query");
    match relais_core::views::save(&s.db, &me.actor, list, f.get("view_name"), query).await {
        Ok(()) => Ok(see_other(&format!("{path}?{query}"))),
        Err(CoreError::Invalid(i)) => {
            let msg =
                i.0.first()
                    .map(|e| me.tr.field_error(e))
                    .unwrap_or_default();
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("view_error", &msg)
                .finish();
            let sep = if query.is_empty() { "" } else { "&" };
            Ok(see_other(&format!("{path}?{query}{sep}{q}")))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_view(s: &AppState, me: &Signed, path: &str, id: &str) -> UiResult {
    let id = uuid::Uuid::parse_str(id).map_err(|_| UiError::NotFound)?;
    relais_core::views::delete(&s.db, &me.actor, id).await?;
    Ok(see_other(path))
}

/// The filter that selects the records ticked: `id=<id>,<id>...`.
pub fn ids_filter(ids: impl IntoIterator<Item = uuid::Uuid>) -> Vec<(String, String)> {
    let list = ids
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    vec![("id".into(), list)]
}

/// The advisor an action assigns: nobody, or a user.
pub fn owner_of(f: &Fields) -> UiResult<Option<relais_domain::UserId>> {
    match f.opt("owner") {
        None => Ok(None),
        Some(u) => relais_domain::UserId::parse(&u)
            .map(Some)
            .map_err(|_| UiError::NotFound),
    }
}

/// Why a view could not be saved, from the code the list was sent back with.
pub fn view_error(tr: super::i18n::Tr, code: &str) -> String {
    tr.t(match code {
        "taken" => "views.taken",
        "name" => "views.bad_name",
        _ => "views.bad_filters",
    })
    .to_string()
}

/// The list again, saying why an action on the records ticked was refused (by a code).
pub fn with_refusal(to: &str, i: &relais_domain::Invalid) -> String {
    let code = match i.0.first().map(|e| e.field.as_str()) {
        Some("owner_id") => "owner",
        Some(f) if f.starts_with("tags") => "tag",
        _ => "other",
    };
    let sep = if to.contains('?') { '&' } else { '?' };
    format!("{to}{sep}refused={code}")
}

/// Why an action on the records ticked was refused, from its code.
pub fn refusal(tr: super::i18n::Tr, code: &str) -> String {
    tr.t(match code {
        "owner" => "bulk.bad_owner",
        "tag" => "bulk.bad_tag",
        _ => "bulk.refused",
    })
    .to_string()
}
