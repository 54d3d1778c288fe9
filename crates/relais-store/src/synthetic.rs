//! Synthetic data for benchmarks: people, their city and their interactions written straight
//! to the tables, as the services write them (folded keys, the timeline's copy of
//! `occurred_at`), without search terms or audit lines. Millions of rows in minutes, the same
//! rows for the same seed, on either engine.
use crate::bulk::Rows;
use crate::{Db, Result};
use chrono::{DateTime, Duration, Utc};
use relais_domain::text::fold;
use uuid::Uuid;

/// Cities by weight: Lyon is 6 % of people, as a large city is in a national file; the
/// empty name stands for one of 2,000 small towns (47 % of people).
pub const CITIES: [(&str, u32); 11] = [
    ("Paris", 20),
    ("Lyon", 6),
    ("Marseille", 5),
    ("Toulouse", 4),
    ("Nice", 3),
    ("Nantes", 3),
    ("Strasbourg", 3),
    ("Montpellier", 3),
    ("Bordeaux", 3),
    ("Lille", 3),
    ("", 47),
];
const STAGES: [(&str, u32); 4] = [
    ("lead", 35),
    ("prospect", 20),
    ("customer", 35),
    ("former_customer", 10),
];
const KINDS: [(&str, u32); 5] = [
    ("call", 40),
    ("email", 30),
    ("meeting", 15),
    ("note", 10),
    ("visit", 5),
];
const FIRST: [&str; 10] = [
    "Élodie", "Jean", "Chloé", "Hugo", "Léa", "Noé", "Zoé", "Rémi", "Inès", "Paul",
];
const LAST: [&str; 10] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau",
];

/// A small deterministic generator (xorshift64*): benchmarks need the same data each run,
/// not cryptographic randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, weighted: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = weighted.iter().map(|(_, w)| w).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (v, w) in weighted {
            if r < *w {
                return v;
            }
            r -= w;
        }
        weighted[0].0
    }
}

/// Writes `people` people, each with a home city, and `interactions` interactions spread at
/// random over them and over the three years before `now`. Commits every 20,000 people.
pub async fn people_and_interactions(
    db: &Db,
    people: u64,
    interactions: u64,
    now: DateTime<Utc>,
    mut progress: impl FnMut(&str, u64),
) -> Result<()> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut ids = Vec::with_capacity(people as usize);
    const CHUNK: u64 = 20_000;
    let mut done = 0;
    while done < people {
        let n = CHUNK.min(people - done);
        let mut tx = db.write().await?;
        let mut rows = Rows::new(
            "people",
            &[
                "id",
                "first_name",
                "last_name",
                "sort_key",
                "first_name_key",
                "last_name_key",
                "stage",
                "created_at",
                "updated_at",
                "version",
            ],
        );
        let mut addresses = Rows::new(
            "addresses",
            &[
                "owner_id", "position", "kind", "city", "city_key", "country",
            ],
        );
        for i in done..done + n {
            let id = Uuid::now_v7();
            ids.push(id);
            let first = FIRST[rng.below(10) as usize];
            let last = format!("{} {i}", LAST[rng.below(10) as usize]);
            let city = match rng.pick(&CITIES) {
                "" => format!("Commune {}", rng.below(2_000)),
                big => big.to_string(),
            };
            let created = now - Duration::days(rng.below(1500) as i64);
            rows.push([
                id.into(),
                first.into(),
                last.clone().into(),
                fold(&format!("{last} {first}")).into(),
                fold(first).into(),
                fold(&last).into(),
                rng.pick(&STAGES).into(),
                created.into(),
                created.into(),
                1i64.into(),
            ]);
            addresses.push([
                id.into(),
                0i16.into(),
                "home".into(),
                city.clone().into(),
                fold(&city).into(),
                "FR".into(),
            ]);
        }
        rows.write(&mut tx).await?;
        addresses.write(&mut tx).await?;
        tx.commit().await?;
        done += n;
        progress("people", done);
    }
    let mut done = 0;
    const ICHUNK: u64 = 50_000;
    while done < interactions {
        let n = ICHUNK.min(interactions - done);
        let mut tx = db.write().await?;
        let mut rows = Rows::new(
            "interactions",
            &[
                "id",
                "kind",
                "direction",
                "occurred_at",
                "duration_minutes",
                "subject",
                "created_at",
                "updated_at",
                "version",
            ],
        );
        let mut links = Rows::new(
            "interaction_people",
            &["interaction_id", "person_id", "occurred_at", "kind"],
        );
        for _ in 0..n {
            let id = Uuid::now_v7();
            let person = ids[rng.below(ids.len() as u64) as usize];
            let at = now - Duration::minutes(rng.below(3 * 365 * 24 * 60) as i64);
            let kind = rng.pick(&KINDS);
            rows.push([
                id.into(),
                kind.into(),
                "outbound".into(),
                at.into(),
                (rng.below(60) as i64).into(),
                "Suivi".into(),
                at.into(),
                at.into(),
                1i64.into(),
            ]);
            links.push([id.into(), person.into(), at.into(), kind.into()]);
        }
        rows.write(&mut tx).await?;
        links.write(&mut tx).await?;
        tx.commit().await?;
        done += n;
        progress("interactions", done);
    }
    Ok(())
}
