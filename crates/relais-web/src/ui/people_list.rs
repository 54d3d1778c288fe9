//! The people list (`list_page`): filters on stage, advisor, tag, city and e-mail consent,
//! columns with their company, e-mail, phone, stage and city, and moving the people ticked
//! to a stage.
use super::UiResult;
use super::list_page::{
    self, ActError, Action, Cell, Column, FilterField, Input, Listed, Row, Texts,
};
use super::people::stages;
use super::record_form::Choice;
use super::session::Signed;
use crate::AppState;
use relais_core::people::{self, People, PersonView};
use relais_core::{Actor, CoreError, Db, companies};
use relais_domain::custom::Entity;
use relais_domain::person::Stage;
use relais_domain::{CompanyId, PersonId};
use std::collections::HashMap;

impl Listed for People {
    const PLURAL: &'static str = "people";
    const TEXTS: Texts = Texts {
        title: "people.title",
        trash: "people.trash",
        new: "people.new",
        none: "people.none",
        search_hint: "nav.search_hint",
        filter_hint: "filter.text_hint_people",
        actions: "bulk.title",
        done: "bulk.done",
    };
    const CUSTOM: Option<Entity> = Some(Entity::PERSON);

    fn filters() -> Vec<FilterField> {
        let consent = ["granted", "withdrawn", "unknown"]
            .iter()
            .zip(["consent.granted", "consent.withdrawn", "consent.unknown"])
            .map(|(v, k)| Choice::key(v, k))
            .collect();
        let mut filters = vec![FilterField {
            name: "stage",
            label: "person.stage",
            input: Input::Choice(stage_choices()),
        }];
        filters.extend(list_page::owner_tag_city());
        filters.extend([
            FilterField {
                name: "consent_email",
                label: "filter.consent_email",
                input: Input::Choice(consent),
            },
            // Reached from a company's page ("its people"); not asked in the form.
            FilterField {
                name: "company_id",
                label: "person.company",
                input: Input::Hidden,
            },
        ]);
        filters
    }

    fn columns() -> Vec<Column> {
        vec![
            Column {
                label: "person.company",
                optional: false,
            },
            Column {
                label: "person.email",
                optional: true,
            },
            Column {
                label: "person.phone",
                optional: true,
            },
            Column {
                label: "person.stage",
                optional: false,
            },
            Column {
                label: "person.city",
                optional: true,
            },
        ]
    }

    async fn rows(s: &AppState, me: &Signed, items: &[PersonView]) -> UiResult<Vec<Row>> {
        let ids: Vec<CompanyId> = items
            .iter()
            .flat_map(|p| p.data.companies.iter().map(|c| c.company_id))
            .collect();
        let names = companies::names(&s.db, &me.actor, &ids).await?;
        Ok(items.iter().map(|p| row(p, &names)).collect())
    }

    fn actions() -> Vec<Action> {
        vec![Action {
            name: "stage",
            label: "bulk.stage",
            button: "bulk.apply_stage",
            choices: stage_choices(),
        }]
    }

    async fn act(
        db: &Db,
        actor: &Actor,
        ids: &[PersonId],
        action: &str,
        value: &str,
    ) -> Result<usize, ActError> {
        match action {
            "stage" => {
                let stage = Stage::parse(value)
                    .map_err(|m| CoreError::from(relais_domain::Invalid::one("stage", m)))?;
                Ok(people::set_stage(db, actor, ids, stage).await?)
            }
            other => Err(ActError::Unknown(other.to_string())),
        }
    }
}

fn stage_choices() -> Vec<Choice> {
    stages()
        .into_iter()
        .map(|(v, k)| Choice::key(v, k))
        .collect()
}

fn row(p: &PersonView, names: &HashMap<CompanyId, String>) -> Row {
    let first = |v: Option<String>| v.unwrap_or_default();
    let companies = p
        .data
        .companies
        .iter()
        .filter_map(|c| names.get(&c.company_id).cloned())
        .collect::<Vec<_>>()
        .join(", ");
    Row {
        id: p.id.0,
        name: p.display_name.clone(),
        cells: vec![
            Cell::Text(companies),
            Cell::Mail(first(
                p.data
                    .emails
                    .first()
                    .map(|e| e.address.as_str().to_string()),
            )),
            Cell::Tel(first(
                p.data.phones.first().map(|n| n.number.as_str().to_string()),
            )),
            Cell::Badge {
                class: p.data.stage.as_str(),
                label: super::people::stage_key(p.data.stage),
            },
            Cell::Text(first(p.data.addresses.iter().find_map(|a| a.city.clone()))),
        ],
    }
}
