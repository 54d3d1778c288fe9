//! What the 360° pages of every kind show the same way: moments, facts, custom values.
use super::i18n::Tr;
use super::record_form;
use relais_domain::custom::Entity;
use serde_json::Value;

/// A moment as the page shows it.
pub struct When {
    pub iso: String,
    pub text: String,
}

impl When {
    pub fn of(tr: Tr, t: &chrono::DateTime<chrono::Utc>) -> When {
        When {
            iso: t.to_rfc3339(),
            text: tr.datetime(t),
        }
    }
}

/// A line of a record's facts: a label and a value.
pub struct Fact {
    pub label: record_form::Label,
    pub value: String,
}

/// The custom values of a record, labelled as their fields are, in the order of the fields.
pub fn custom_facts(
    tr: Tr,
    defs: &[relais_core::custom_fields::CustomFieldView],
    entity: Entity,
    values: &std::collections::BTreeMap<String, Value>,
) -> Vec<Fact> {
    defs.iter()
        .filter(|d| d.entity == entity)
        .filter_map(|d| {
            let v = values.get(&d.key)?;
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Bool(true) => tr.t("form.yes").into(),
                Value::Bool(false) => tr.t("form.no").into(),
                Value::Null => return None,
                // An amount, as the reader's language writes money.
                Value::Object(_) => match serde_json::from_value(v.clone()) {
                    Ok(m) => tr.money(m),
                    Err(_) => v.to_string(),
                },
                other => other.to_string(),
            };
            Some(Fact {
                label: record_form::Label::Text(d.label.clone()),
                value: text,
            })
        })
        .collect()
}
