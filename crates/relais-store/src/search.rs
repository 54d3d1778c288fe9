//! The search index: the words each person and company is found by (`person_terms`,
//! `company_terms`), each kept with its record's sort key, and the searches that read it.
//!
//! A search in relevance order is one range scan of the index's primary key
//! (term, sort key, id) from the first term that starts with the query's longest word: its
//! page of matches comes out in order, so it costs the same for "zorglub" as for "jean",
//! whatever the number of people. A record found under several terms is kept at the first
//! one only, and the other words of the query must each start one of its terms: both are
//! probes of the (id, term) index.
use crate::bulk::Rows;
use crate::{Result, StoreError, Tx};
use relais_domain::Invalid;
use relais_domain::filter::schema::{KindSpec, Search};
use relais_domain::search::SearchQuery;
use relais_domain::text::prefix_upper_bound;
use sea_query::{Condition, Expr, ExprTrait, Order, Query, SelectStatement};
use std::collections::HashMap;
use uuid::Uuid;

/// A kind's search index: its records' table, the table of their terms and the column
/// there that names the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    records: &'static str,
    terms: &'static str,
    owner: &'static str,
}

impl Index {
    /// The index of a kind whose `q` searches one (`Search::Index`).
    pub fn of(kind: &KindSpec) -> Option<Index> {
        match kind.search {
            Search::Index { terms, owner } => Some(Index {
                records: kind.table,
                terms,
                owner,
            }),
            Search::Contains(_) => None,
        }
    }

    fn terms(self) -> &'static str {
        self.terms
    }

    fn owner(self) -> &'static str {
        self.owner
    }

    fn records(self) -> &'static str {
        self.records
    }
}

/// The terms of many records, gathered to be written in a few statements.
pub(crate) struct TermRows(Rows);

impl TermRows {
    pub(crate) fn new(index: Index) -> Self {
        TermRows(Rows::new(
            index.terms(),
            &["term", "sort_key", index.owner()],
        ))
    }

    pub(crate) fn add(&mut self, owner: Uuid, sort_key: &str, terms: Vec<String>) {
        for t in terms {
            self.0
                .push([t.into(), sort_key.to_string().into(), owner.into()]);
        }
    }

    pub(crate) async fn write(self, tx: &mut Tx) -> Result<()> {
        self.0.write(tx).await
    }
}

/// Forgets the terms of these records, before they are written again.
pub(crate) async fn delete(tx: &mut Tx, index: Index, owners: &[Uuid]) -> Result<()> {
    tx.execute(
        Query::delete()
            .from_table(index.terms())
            .and_where(Expr::col(index.owner()).is_in(owners.iter().copied())),
    )
    .await?;
    Ok(())
}

/// The names of these companies, by id: people are found by the words of their companies'
/// names.
pub(crate) async fn company_names(tx: &mut Tx, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    #[derive(sqlx::FromRow)]
    struct NameRow {
        id: Uuid,
        name: String,
    }
    let mut names = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<NameRow> = tx
            .fetch_all(
                Query::select()
                    .columns(["id", "name"])
                    .from("companies")
                    .and_where(Expr::col("id").is_in(chunk.iter().copied())),
            )
            .await?;
        names.extend(rows.into_iter().map(|r| (r.id, r.name)));
    }
    Ok(names)
}

/// The records of `index` one of whose terms starts with `word`.
fn starting_with(index: Index, table_alias: &'static str, word: &str) -> SelectStatement {
    Query::select()
        .column((table_alias, index.owner()))
        .from_as(index.terms(), table_alias)
        .and_where(Expr::col((table_alias, "term")).gte(word.to_string()))
        .and_where(Expr::col((table_alias, "term")).lt(prefix_upper_bound(word)))
        .to_owned()
}

/// `q` as a plain condition on the records, for lists in another order than relevance:
/// every word starts one of the record's terms.
pub(crate) fn condition(index: Index, q: &SearchQuery) -> Condition {
    q.words.iter().fold(Condition::all(), |c, w| {
        c.add(Expr::col((index.records(), "id")).in_subquery(starting_with(index, "st", w)))
    })
}

/// A record found, and the term it was found under: its place in the relevance order is
/// (term, sort key, id).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Hit {
    pub term: String,
    pub sort_key: String,
    pub id: Uuid,
    /// Which word of the query the search scanned for.
    #[sqlx(skip)]
    pub word: usize,
}

impl Hit {
    /// The cursor value of a page that ends at this hit: the next page scans for the same
    /// word from there.
    pub fn cursor_value(&self) -> String {
        serde_json::to_string(&(self.word, &self.term, &self.sort_key)).unwrap_or_default()
    }
}

fn parse_cursor(value: &str, words: usize) -> Result<(usize, String, String)> {
    serde_json::from_str::<(usize, String, String)>(value)
        .ok()
        .filter(|(word, _, _)| *word < words)
        .ok_or_else(|| StoreError::Invalid(Invalid::one("cursor", relais_domain::Code::NotACursor)))
}

/// Past this many terms a word counts as common: counting further would cost more than the
/// choice saves.
const COMMON: u64 = 5_000;

/// The word a search scans for: the one that starts the fewest terms, so that "societe 42"
/// reads the few "42..." rather than every "societe".
async fn driver(tx: &mut Tx, index: Index, q: &SearchQuery) -> Result<usize> {
    if q.words.len() == 1 {
        return Ok(0);
    }
    let mut best = (u64::MAX, 0);
    for (i, w) in q.words.iter().enumerate() {
        let sub = starting_with(index, "c", w).limit(COMMON).to_owned();
        let n: crate::Count = tx
            .fetch_one(
                Query::select()
                    .expr_as(Expr::cust("COUNT(*)"), "n")
                    .from_subquery(sub, "s"),
            )
            .await?;
        best = best.min((n.n as u64, i));
    }
    Ok(best.1)
}

/// A page of the records matching `q` and `filter` (a condition on the records' table),
/// in relevance order: by the term the rarest word of the query matched ("marc" before
/// "marie" before "martin"), then by name. `after` is the cursor of the previous page:
/// a `Hit::cursor_value` and an id. Returns up to `limit` hits.
pub(crate) async fn page(
    tx: &mut Tx,
    index: Index,
    q: &SearchQuery,
    filter: Condition,
    after: Option<&(String, Uuid)>,
    limit: u64,
) -> Result<Vec<Hit>> {
    let (terms, owner, records) = (index.terms(), index.owner(), index.records());
    let after = match after {
        Some((value, id)) => Some((parse_cursor(value, q.words.len())?, *id)),
        None => None,
    };
    let at = match &after {
        Some(((word, _, _), _)) => *word,
        None => driver(tx, index, q).await?,
    };
    let word = q.words[at].as_str();
    let mut s = Query::select();
    s.expr_as(Expr::col(("t", "term")), "term")
        .expr_as(Expr::col(("t", "sort_key")), "sort_key")
        .expr_as(Expr::col(("t", owner)), "id")
        .from_as(terms, "t")
        // On SQLite a CROSS JOIN keeps the terms as the outer loop: the scan in index order
        // is what makes the page cheap. PostgreSQL plans it as any inner join.
        .cross_join(records)
        .and_where(Expr::col((records, "id")).equals(("t", owner)))
        .and_where(Expr::col(("t", "term")).gte(word.to_string()))
        .and_where(Expr::col(("t", "term")).lt(prefix_upper_bound(word)));
    let mut earlier = starting_with(index, "e", word);
    earlier
        .and_where(Expr::col(("e", owner)).equals(("t", owner)))
        .and_where(Expr::col(("e", "term")).lt(Expr::col(("t", "term"))));
    s.and_where(Expr::not_exists(earlier));
    for (_, w) in q.words.iter().enumerate().filter(|(i, _)| *i != at) {
        let mut also = starting_with(index, "o", w);
        also.and_where(Expr::col(("o", owner)).equals(("t", owner)));
        s.and_where(Expr::exists(also));
    }
    if let Some(((_, term, sort_key), id)) = after {
        s.and_where(
            Expr::tuple([
                Expr::col(("t", "term")),
                Expr::col(("t", "sort_key")),
                Expr::col(("t", owner)),
            ])
            .gt(Expr::tuple([
                Expr::value(term),
                Expr::value(sort_key),
                Expr::value(id),
            ])),
        );
    }
    s.cond_where(filter)
        .order_by(("t", "term"), Order::Asc)
        .order_by(("t", "sort_key"), Order::Asc)
        .order_by(("t", owner), Order::Asc)
        .limit(limit);
    let mut hits: Vec<Hit> = tx.fetch_all(&s).await?;
    for h in &mut hits {
        h.word = at;
    }
    Ok(hits)
}
