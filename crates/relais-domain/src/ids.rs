//! Typed identifiers: an id of one kind of record can't be passed where another is expected.
//! UUID v7, so ids sort by creation time (good for keyset paging and for B-trees).
use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self { Self(Uuid::now_v7()) }
            pub fn parse(s: &str) -> Result<Self, $crate::message::Msg> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| {
                    $crate::message::Msg::new($crate::message::Code::NotAnId).with("value", s)
                })
            }
        }
        impl Default for $name { fn default() -> Self { Self::new() } }
        impl From<Uuid> for $name { fn from(u: Uuid) -> Self { Self(u) } }
        impl From<$name> for Uuid { fn from(id: $name) -> Self { id.0 } }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { self.0.fmt(f) }
        }
    )*};
}

typed_id!(
    PersonId,
    CompanyId,
    UserId,
    TeamId,
    InteractionId,
    TaskId,
    CustomFieldId,
    TokenId,
    AttachmentId
);
