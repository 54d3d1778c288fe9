//! Attachments of interactions. The bytes live in the database (`data`), next to the record
//! they belong to, so that a backup holds both or neither; lists never read them.
use crate::{Result, StoreError, Tx};
use chrono::{DateTime, Utc};
use relais_domain::{AttachmentId, InteractionId, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use uuid::Uuid;

/// An attachment without its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRecord {
    pub id: AttachmentId,
    pub interaction_id: InteractionId,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// What is written for a new attachment.
#[derive(Debug, Clone, Copy)]
pub struct NewAttachment<'a> {
    pub id: AttachmentId,
    pub interaction_id: InteractionId,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub data: &'a [u8],
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    interaction_id: Uuid,
    filename: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Data {
    data: Option<Vec<u8>>,
}

const COLUMNS: [&str; 8] = [
    "id",
    "interaction_id",
    "filename",
    "content_type",
    "size_bytes",
    "sha256",
    "created_by",
    "created_at",
];

impl From<Row> for AttachmentRecord {
    fn from(r: Row) -> Self {
        AttachmentRecord {
            id: AttachmentId(r.id),
            interaction_id: InteractionId(r.interaction_id),
            filename: r.filename,
            content_type: r.content_type,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            created_by: r.created_by.map(UserId),
            created_at: r.created_at,
        }
    }
}

/// Writes an attachment and its bytes. An interaction that does not exist is
/// `MissingReference` (the foreign key refuses it).
pub async fn insert(tx: &mut Tx, a: &NewAttachment<'_>) -> Result<()> {
    let size = i64::try_from(a.data.len()).map_err(|_| {
        StoreError::Invalid(relais_domain::Invalid::one(
            "body",
            relais_domain::Code::TooLargeToStore,
        ))
    })?;
    tx.execute(
        Query::insert()
            .into_table("attachments")
            .columns(COLUMNS.into_iter().chain(["data"]))
            .values_panic([
                a.id.0.into(),
                a.interaction_id.0.into(),
                a.filename.into(),
                a.content_type.into(),
                size.into(),
                a.sha256.into(),
                a.created_by.map(|u| u.0).into(),
                a.created_at.into(),
                a.data.to_vec().into(),
            ]),
    )
    .await?;
    Ok(())
}

/// An interaction's attachments, oldest first, without their bytes.
pub async fn list(tx: &mut Tx, interaction: InteractionId) -> Result<Vec<AttachmentRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("attachments")
        .and_where(Expr::col("interaction_id").eq(interaction.0))
        .order_by("created_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    let rows: Vec<Row> = tx.fetch_all(&q).await?;
    Ok(rows.into_iter().map(AttachmentRecord::from).collect())
}

/// One attachment, without its bytes.
pub async fn get(tx: &mut Tx, id: AttachmentId) -> Result<Option<AttachmentRecord>> {
    let q = Query::select()
        .columns(COLUMNS)
        .from("attachments")
        .and_where(Expr::col("id").eq(id.0))
        .to_owned();
    Ok(tx
        .fetch_optional::<Row>(&q)
        .await?
        .map(AttachmentRecord::from))
}

/// The bytes of an attachment.
pub async fn data(tx: &mut Tx, id: AttachmentId) -> Result<Vec<u8>> {
    let q = Query::select()
        .column("data")
        .from("attachments")
        .and_where(Expr::col("id").eq(id.0))
        .to_owned();
    Ok(tx.fetch_one::<Data>(&q).await?.data.unwrap_or_default())
}

/// Deletes an attachment and its bytes for good.
pub async fn delete(tx: &mut Tx, id: AttachmentId) -> Result<()> {
    let n = tx
        .execute(
            Query::delete()
                .from_table("attachments")
                .and_where(Expr::col("id").eq(id.0)),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
