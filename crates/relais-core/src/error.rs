use relais_domain::Invalid;
use relais_store::StoreError;

/// What a use case can refuse. The web layer maps each to one HTTP status; the CLI prints it.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("your role may not {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// The client's version is stale (`If-Match`), or a concurrent write won: the current
    /// state comes along so the client can show both versions.
    #[error("the record was changed meanwhile (now at version {version})")]
    Stale {
        version: i64,
        current: serde_json::Value,
    },
    /// A unique value is taken (an e-mail of a user, a custom field key).
    #[error("{field} is already used")]
    Duplicate { field: String },
    #[error("{0}")]
    Conflict(relais_domain::Msg),
    /// An upload larger than the configured limit, in bytes.
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error(transparent)]
    Store(StoreError),
    /// A failure of the server's own (serialisation, hashing, I/O): answered 500, logged.
    #[error("internal failure: {0}")]
    Internal(String),
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(i) => CoreError::Invalid(i),
            StoreError::NotFound => CoreError::NotFound("record"),
            StoreError::Duplicate(field) => CoreError::Duplicate { field },
            StoreError::MissingReference => {
                CoreError::Invalid(Invalid::one("id", relais_domain::Code::NoSuchRecord))
            }
            other => CoreError::Store(other),
        }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
