//! Realistic demo data: French and English companies and people, years of interactions,
//! tasks and consents. Deterministic for a given seed (its own small generator, so the
//! output does not change when a dependency does).
use crate::auth::Actor;
use crate::error::Result;
use crate::record;
use chrono::{Duration, TimeZone, Utc};
use relais_domain::company::CompanyDraft;
use relais_domain::interaction::{
    ConsentData, ConsentStatus, Direction, InteractionData, InteractionKind, TaskData,
};
use relais_domain::person::{Address, Channel, CompanyLink, EmailEntry, PersonDraft, PhoneEntry};
use relais_domain::{CompanyId, InteractionId, TaskId};
use relais_store::Db;
use relais_store::interactions::Interactions;
use relais_store::records::New;
use relais_store::tasks::Tasks;

/// SplitMix64: tiny, fast, and stable across versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const FR_FIRST: [&str; 24] = [
    "Élodie",
    "Amélie",
    "Camille",
    "Léa",
    "Chloé",
    "Manon",
    "Inès",
    "Hélène",
    "Cécile",
    "Sophie",
    "Juliette",
    "Zoé",
    "Lucas",
    "Hugo",
    "Théo",
    "Louis",
    "Gabriel",
    "Jérôme",
    "François",
    "Mathéo",
    "Noé",
    "Benoît",
    "Rémi",
    "Antoine",
];
const FR_LAST: [&str; 20] = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garçon",
    "Fontaine",
    "Chevalier",
    "Bonnet",
    "Dupré",
    "Lemaître",
];
const EN_FIRST: [&str; 16] = [
    "Olivia", "Emma", "Amelia", "Isla", "Grace", "Ava", "Sophie", "Lily", "Oliver", "George",
    "Harry", "Jack", "Noah", "Charlie", "Thomas", "William",
];
const EN_LAST: [&str; 14] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Wright", "Evans", "Walker", "O'Brien", "Hughes",
];
const FR_CITIES: [(&str, &str); 10] = [
    ("Paris", "75011"),
    ("Lyon", "69002"),
    ("Marseille", "13001"),
    ("Toulouse", "31000"),
    ("Nantes", "44000"),
    ("Bordeaux", "33000"),
    ("Lille", "59000"),
    ("Rennes", "35000"),
    ("Strasbourg", "67000"),
    ("Annecy", "74000"),
];
const EN_CITIES: [(&str, &str); 5] = [
    ("London", "EC1A 1BB"),
    ("Manchester", "M1 1AE"),
    ("Bristol", "BS1 4DJ"),
    ("Leeds", "LS1 1UR"),
    ("Edinburgh", "EH1 1YZ"),
];
const FR_COMPANY: [&str; 12] = [
    "Boulangerie",
    "Menuiserie",
    "Cabinet",
    "Atelier",
    "Gîtes",
    "Transports",
    "Imprimerie",
    "Fromagerie",
    "Garage",
    "Librairie",
    "Brasserie",
    "Pharmacie",
];
const EN_COMPANY: [&str; 8] = [
    "Holdings",
    "Consulting",
    "Logistics",
    "Studio",
    "Foods",
    "Engineering",
    "Partners",
    "Retail",
];
const INDUSTRIES: [&str; 8] = [
    "Retail",
    "Hospitality",
    "Construction",
    "Health",
    "Software",
    "Transport",
    "Food",
    "Tourism",
];
const SIZES: [&str; 5] = ["1-9", "10-49", "50-249", "250-999", "1000-4999"];
const TAGS: [&str; 8] = [
    "vip",
    "newsletter",
    "salon 2025",
    "partenaire",
    "fidèle",
    "b2b",
    "referral",
    "prioritaire",
];
const SUBJECTS_FR: [&str; 8] = [
    "Appel de suivi",
    "Devis envoyé",
    "Réclamation livraison",
    "Rendez-vous annuel",
    "Relance facture",
    "Demande d'information",
    "Visite en magasin",
    "Geste commercial accordé",
];
const SUBJECTS_EN: [&str; 6] = [
    "Follow-up call",
    "Quote sent",
    "Delivery complaint",
    "Quarterly review",
    "Invoice reminder",
    "Product question",
];

/// What a demo fill created.
pub struct Stats {
    pub companies: u64,
    pub people: u64,
    pub interactions: u64,
    pub tasks: u64,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} companies, {} people, {} interactions, {} tasks",
            self.companies, self.people, self.interactions, self.tasks
        )
    }
}

fn ascii(s: &str) -> String {
    relais_domain::text::fold(s).replace([' ', '\''], "")
}

/// Adds `people` people (and their companies, interactions, tasks) in one transaction.
pub async fn fill(db: &Db, people: u32, seed: u64) -> Result<Stats> {
    let actor = Actor::SYSTEM;
    let mut rng = Rng(seed);
    let mut tx = db.write().await?;
    let mut stats = Stats {
        companies: 0,
        people: 0,
        interactions: 0,
        tasks: 0,
    };
    let n_companies = (people / 6).max(1);
    let mut companies: Vec<(CompanyId, bool)> = Vec::new();
    for i in 0..n_companies {
        let french = rng.chance(75);
        let name = if french {
            format!("{} {}", rng.pick(&FR_COMPANY), rng.pick(&FR_LAST))
        } else {
            format!("{} {}", rng.pick(&EN_LAST), rng.pick(&EN_COMPANY))
        };
        let name = format!(
            "{name}{}",
            if i >= 40 {
                format!(" {}", i / 40 + 1)
            } else {
                String::new()
            }
        );
        let (city, postal) = if french {
            *rng.pick(&FR_CITIES)
        } else {
            *rng.pick(&EN_CITIES)
        };
        let parent = (i > 5 && rng.chance(10)).then(|| companies[rng.below(5) as usize].0);
        let draft = CompanyDraft {
            name: Some(name.clone()),
            industry: Some(rng.pick(&INDUSTRIES).to_string()),
            size: Some(rng.pick(&SIZES).to_string()),
            website: Some(format!("https://www.{}.example", ascii(&name))),
            addresses: vec![Address {
                kind: "work".into(),
                street: Some(format!("{} rue du Commerce", 1 + rng.below(120))),
                postal_code: Some(postal.into()),
                city: Some(city.into()),
                region: None,
                country: Some(if french { "FR" } else { "GB" }.into()),
            }],
            parent_id: parent,
            tags: if rng.chance(30) {
                vec![rng.pick(&TAGS).to_string()]
            } else {
                vec![]
            },
            ..Default::default()
        };
        let data = draft.validate()?;
        let id = crate::records::insert::<crate::companies::Companies>(&mut tx, &actor, &data, &[])
            .await?;
        companies.push((id, french));
        stats.companies += 1;
    }
    let now = Utc::now();
    for i in 0..people {
        let (company, french) = *rng.pick(&companies);
        let (first, last) = if french {
            (*rng.pick(&FR_FIRST), *rng.pick(&FR_LAST))
        } else {
            (*rng.pick(&EN_FIRST), *rng.pick(&EN_LAST))
        };
        let email = format!(
            "{}.{}{}@{}.example",
            ascii(first),
            ascii(last),
            i,
            if french { "exemple-fr" } else { "example-uk" }
        );
        let phone = if french {
            // Mobile ranges the numbering plan has: 0600-0638, 0640-0689, 0730-0799.
            let (lead, pair) = if rng.below(2) == 0 {
                (
                    6,
                    [rng.below(39), 40 + rng.below(50)][rng.below(2) as usize],
                )
            } else {
                (7, 30 + rng.below(70))
            };
            format!(
                "0{lead} {pair:02} {:02} {:02} {:02}",
                rng.below(100),
                rng.below(100),
                rng.below(100)
            )
        } else {
            format!("+44 20 72{:02} {:04}", rng.below(100), rng.below(10_000))
        };
        let stage = [
            "lead",
            "prospect",
            "customer",
            "customer",
            "customer",
            "former_customer",
        ][rng.below(6) as usize];
        let (city, postal) = if french {
            *rng.pick(&FR_CITIES)
        } else {
            *rng.pick(&EN_CITIES)
        };
        let draft = PersonDraft {
            civility: Some(
                if FR_FIRST
                    .iter()
                    .position(|f| *f == first)
                    .is_some_and(|p| p < 12)
                    || EN_FIRST
                        .iter()
                        .position(|f| *f == first)
                        .is_some_and(|p| p < 8)
                {
                    if french { "Mme" } else { "Ms" }
                } else if french {
                    "M."
                } else {
                    "Mr"
                }
                .into(),
            ),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            job_title: Some(
                if french {
                    [
                        "Gérante",
                        "Directeur commercial",
                        "Responsable achats",
                        "Comptable",
                        "Propriétaire",
                    ]
                } else {
                    [
                        "Owner",
                        "Sales director",
                        "Buyer",
                        "Accountant",
                        "Office manager",
                    ]
                }[rng.below(5) as usize]
                    .into(),
            ),
            companies: vec![CompanyLink {
                company_id: company,
                role: None,
                primary: true,
            }],
            emails: vec![EmailEntry {
                kind: "work".into(),
                address: email,
            }],
            phones: vec![PhoneEntry {
                kind: "mobile".into(),
                number: phone,
            }],
            addresses: vec![Address {
                kind: "home".into(),
                street: None,
                postal_code: Some(postal.into()),
                city: Some(city.into()),
                region: None,
                country: Some(if french { "FR" } else { "GB" }.into()),
            }],
            birthday: rng.chance(70).then(|| {
                format!(
                    "{:04}-{:02}-{:02}",
                    1950 + rng.below(55),
                    1 + rng.below(12),
                    1 + rng.below(28)
                )
            }),
            language: Some(if french { "fr" } else { "en" }.into()),
            preferred_channel: Some(["email", "phone", "sms"][rng.below(3) as usize].into()),
            stage: Some(stage.into()),
            source: Some(
                ["website", "referral", "trade show", "shop", "import"][rng.below(5) as usize]
                    .into(),
            ),
            tags: (0..rng.below(3))
                .map(|_| rng.pick(&TAGS).to_string())
                .collect(),
            notes: rng.chance(20).then(|| {
                if french {
                    "Préfère être appelée le matin."
                } else {
                    "Prefers calls in the morning."
                }
                .into()
            }),
            ..Default::default()
        };
        let data = draft.validate()?;
        let pid =
            crate::records::insert::<crate::people::People>(&mut tx, &actor, &data, &[]).await?;
        stats.people += 1;
        let consent = ConsentData {
            channel: Channel::Email,
            status: if rng.chance(70) {
                ConsentStatus::Granted
            } else {
                ConsentStatus::Withdrawn
            },
            source: Some("web form".into()),
        };
        relais_store::consents::insert(&mut tx, pid, &consent, None, record::now()).await?;
        let interactions = rng.below(16);
        for _ in 0..interactions {
            let kind = *rng.pick(InteractionKind::ALL);
            let days = rng.below(365 * 4) as i64;
            let occurred = Utc
                .timestamp_opt(
                    now.timestamp() - days * 86_400 - rng.below(36_000) as i64,
                    0,
                )
                .single()
                .unwrap_or(now);
            let subject = if french {
                rng.pick(&SUBJECTS_FR).to_string()
            } else {
                rng.pick(&SUBJECTS_EN).to_string()
            };
            let body = (kind == InteractionKind::Meeting).then(|| if french {
                "Compte rendu : point sur les commandes de l'année, satisfaction bonne, demande de délai de livraison plus court. Prochaine étape : proposition chiffrée.".to_string()
            } else {
                "Report: reviewed this year's orders, satisfied overall, asked for shorter delivery times. Next step: a costed proposal.".to_string()
            });
            let data = InteractionData {
                kind,
                direction: (kind != InteractionKind::Note)
                    .then(|| *rng.pick(&[Direction::Inbound, Direction::Outbound])),
                occurred_at: occurred,
                duration_minutes: matches!(kind, InteractionKind::Call | InteractionKind::Meeting)
                    .then(|| 5 + rng.below(60) as i64),
                subject: Some(subject),
                body,
                person_ids: vec![pid],
                company_id: Some(company),
                user_ids: vec![],
                about: None,
            };
            let new = New {
                id: InteractionId::new(),
                data: &data,
                custom: &[],
            };
            relais_store::records::insert::<Interactions>(&mut tx, new, None, record::now())
                .await?;
            stats.interactions += 1;
        }
        if rng.chance(25) {
            let due = now + Duration::days(rng.below(30) as i64 - 10);
            let task = TaskData {
                title: if french {
                    format!("Rappeler {first} {last}")
                } else {
                    format!("Call {first} {last} back")
                },
                notes: None,
                due_at: Some(due),
                assignee_id: None,
                person_id: Some(pid),
                company_id: Some(company),
                about: None,
                done: false,
                done_at: None,
            };
            let new = New {
                id: TaskId::new(),
                data: &task,
                custom: &[],
            };
            relais_store::records::insert::<Tasks>(&mut tx, new, None, record::now()).await?;
            stats.tasks += 1;
        }
    }
    tx.commit().await?;
    Ok(stats)
}
