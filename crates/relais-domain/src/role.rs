//! Roles and the permission matrix. Every route and every CLI-less service call asks
//! `Role::may`; docs/PERMISSIONS.md is generated from the same table by `relais permissions`.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Admin,
    Manager,
    Sales,
    Support,
    Accounting,
    Delivery,
    Marketing,
    ReadOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    People,
    Companies,
    Interactions,
    Tasks,
    Users,
    CustomFields,
    /// Bulk import and export of records (personal data leaves or enters in bulk).
    Transfer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Create,
    Update,
    /// Move to the trash, restore from it, merge duplicates.
    Delete,
    /// Erase for good (the GDPR right to erasure).
    Purge,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Manager,
        Role::Sales,
        Role::Support,
        Role::Accounting,
        Role::Delivery,
        Role::Marketing,
        Role::ReadOnly,
    ];

    pub fn parse(s: &str) -> Result<Role, crate::Msg> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase().replace('_', "-"))
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                crate::message::not_one_of(s, &names)
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Support => "support",
            Role::Accounting => "accounting",
            Role::Delivery => "delivery",
            Role::Marketing => "marketing",
            Role::ReadOnly => "read-only",
        }
    }

    /// The permission matrix. Everyone signed in may read the customer record: it is shared
    /// by every department. Writing follows each department's daily work.
    pub fn may(self, action: Action, resource: Resource) -> bool {
        use Action::*;
        use Resource::*;
        use Role::*;
        match (self, action, resource) {
            (Admin, _, _) => true,
            // Export (reading in bulk) is for those who answer for the data as a whole.
            (Manager | Marketing, Read, Transfer) => true,
            (_, Read, Transfer) => false,
            (_, Read, _) => true,
            (ReadOnly, _, _) => false,
            (_, _, Users | CustomFields) => false,
            (_, Purge, _) => false,
            (Manager, _, _) => true,
            (Marketing, Create | Update, Transfer) => true,
            (Sales, Create | Update, Transfer) => true,
            (_, _, Transfer) => false,
            // Tasks are everyone's to-do list: whoever may update them may throw one away
            // (and take it back from the trash).
            (_, Delete, Tasks) => true,
            (_, Delete, _) => false,
            (Sales | Support | Marketing, Create | Update, People | Companies) => true,
            (Accounting, Create | Update, Companies) => true,
            (Accounting, Update, People) => true,
            (Delivery, Update, People | Companies) => false,
            (_, Create | Update, Interactions | Tasks) => true,
            _ => false,
        }
    }
}

impl Resource {
    pub const ALL: [Resource; 7] = [
        Resource::People,
        Resource::Companies,
        Resource::Interactions,
        Resource::Tasks,
        Resource::Users,
        Resource::CustomFields,
        Resource::Transfer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::People => "people",
            Resource::Companies => "companies",
            Resource::Interactions => "interactions",
            Resource::Tasks => "tasks",
            Resource::Users => "users",
            Resource::CustomFields => "custom fields",
            Resource::Transfer => "import / export",
        }
    }
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Read,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Purge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Purge => "purge",
        }
    }
}

/// The matrix as a Markdown table, for docs/PERMISSIONS.md.
pub fn matrix_markdown() -> String {
    let mut out = String::from("| resource | action |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(Role::ALL.len()));
    out.push('\n');
    for res in Resource::ALL {
        for act in Action::ALL {
            out.push_str(&format!("| {} | {} |", res.as_str(), act.as_str()));
            for r in Role::ALL {
                out.push_str(if r.may(act, res) { " yes |" } else { " · |" });
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_may_everything_and_read_only_may_only_read() {
        for res in Resource::ALL {
            for act in Action::ALL {
                assert!(Role::Admin.may(act, res));
                assert_eq!(
                    Role::ReadOnly.may(act, res),
                    act == Action::Read && res != Resource::Transfer
                );
            }
        }
    }

    #[test]
    fn only_admins_purge_and_manage_users() {
        for r in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            assert!(!r.may(Action::Purge, Resource::People));
            assert!(!r.may(Action::Create, Resource::Users));
            assert!(r.may(Action::Read, Resource::Users));
        }
    }

    #[test]
    fn departments_write_what_they_work_on() {
        assert!(Role::Sales.may(Action::Create, Resource::People));
        assert!(!Role::Sales.may(Action::Delete, Resource::People));
        assert!(Role::Manager.may(Action::Delete, Resource::People));
        assert!(Role::Delivery.may(Action::Create, Resource::Interactions));
        assert!(!Role::Delivery.may(Action::Update, Resource::People));
        assert!(Role::Accounting.may(Action::Update, Resource::Companies));
        assert!(Role::Marketing.may(Action::Create, Resource::Transfer));
        assert!(Role::Marketing.may(Action::Read, Resource::Transfer));
        assert!(!Role::Sales.may(Action::Read, Resource::Transfer));
        assert!(!Role::Support.may(Action::Create, Resource::Transfer));
    }

    #[test]
    fn roles_parse_by_name() {
        assert_eq!(Role::parse("read_only").unwrap(), Role::ReadOnly);
        assert!(Role::parse("boss").is_err());
    }
}
