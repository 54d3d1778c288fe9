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

/// What a right is about: a kind of record (which declares its own, in its spec) or a
/// part of the app (users, custom fields, bulk transfer). Resources are compared by name.
#[derive(Debug, Clone, Copy)]
pub struct Resource {
    /// Its name in routes, pages and the UI's `can` (`people`, `custom_fields`).
    pub name: &'static str,
    /// Its name in docs/PERMISSIONS.md.
    pub label: &'static str,
    pub rights: &'static Rights,
}

/// Who may do each action on a resource, besides administrators, who may do everything.
#[derive(Debug)]
pub struct Rights {
    pub read: &'static [Role],
    pub create: &'static [Role],
    pub update: &'static [Role],
    /// Move to the trash, restore from it, merge duplicates.
    pub delete: &'static [Role],
    /// Erase for good (the GDPR right to erasure).
    pub purge: &'static [Role],
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

    /// Whether this role may do `action` on `resource`: administrators may do
    /// everything, the others what the resource's rights give them.
    pub fn may(self, action: Action, resource: Resource) -> bool {
        self == Role::Admin || resource.rights.of(action).contains(&self)
    }
}

use Role::*;

/// Everyone signed in may read the customer record: it is shared by every department.
pub const EVERYONE: &[Role] = &[
    Manager, Sales, Support, Accounting, Delivery, Marketing, ReadOnly,
];
/// Everyone who works on the record, that is all but read-only accounts.
pub const STAFF: &[Role] = &[Manager, Sales, Support, Accounting, Delivery, Marketing];
pub const MANAGERS: &[Role] = &[Manager];
pub const ADMINS: &[Role] = &[];

/// Writing follows each department's daily work.
static PEOPLE: Rights = Rights {
    read: EVERYONE,
    create: &[Manager, Sales, Support, Marketing],
    update: &[Manager, Sales, Support, Accounting, Marketing],
    delete: MANAGERS,
    purge: ADMINS,
};
static COMPANIES: Rights = Rights {
    read: EVERYONE,
    create: &[Manager, Sales, Support, Accounting, Marketing],
    update: &[Manager, Sales, Support, Accounting, Marketing],
    delete: MANAGERS,
    purge: ADMINS,
};
static INTERACTIONS: Rights = Rights {
    read: EVERYONE,
    create: STAFF,
    update: STAFF,
    delete: MANAGERS,
    purge: ADMINS,
};
/// Tasks are everyone's to-do list: whoever may update them may throw one away (and take
/// it back from the trash).
static TASKS: Rights = Rights {
    read: EVERYONE,
    create: STAFF,
    update: STAFF,
    delete: STAFF,
    purge: ADMINS,
};
static ADMINISTRATION: Rights = Rights {
    read: EVERYONE,
    create: ADMINS,
    update: ADMINS,
    delete: ADMINS,
    purge: ADMINS,
};
/// Export (reading in bulk) is for those who answer for the data as a whole; importing
/// for those who bring customers in.
static TRANSFER: Rights = Rights {
    read: &[Manager, Marketing],
    create: &[Manager, Sales, Marketing],
    update: &[Manager, Sales, Marketing],
    delete: MANAGERS,
    purge: ADMINS,
};

impl Rights {
    pub fn of(&self, action: Action) -> &'static [Role] {
        match action {
            Action::Read => self.read,
            Action::Create => self.create,
            Action::Update => self.update,
            Action::Delete => self.delete,
            Action::Purge => self.purge,
        }
    }
}

impl Resource {
    pub const PEOPLE: Resource = Resource::new("people", "people", &PEOPLE);
    pub const COMPANIES: Resource = Resource::new("companies", "companies", &COMPANIES);
    pub const INTERACTIONS: Resource = Resource::new("interactions", "interactions", &INTERACTIONS);
    pub const TASKS: Resource = Resource::new("tasks", "tasks", &TASKS);
    pub const USERS: Resource = Resource::new("users", "users", &ADMINISTRATION);
    pub const CUSTOM_FIELDS: Resource =
        Resource::new("custom_fields", "custom fields", &ADMINISTRATION);
    /// Bulk import and export of records (personal data leaves or enters in bulk).
    pub const TRANSFER: Resource = Resource::new("transfer", "import / export", &TRANSFER);
    /// What an administrator sets from the app (how long an import can be undone...).
    pub const SETTINGS: Resource = Resource::new("settings", "settings", &ADMINISTRATION);

    /// The parts of the app that are not a kind of record.
    const APP: [Resource; 4] = [
        Resource::USERS,
        Resource::CUSTOM_FIELDS,
        Resource::TRANSFER,
        Resource::SETTINGS,
    ];

    pub const fn new(name: &'static str, label: &'static str, rights: &'static Rights) -> Self {
        Resource {
            name,
            label,
            rights,
        }
    }

    /// Every resource: those of each kind of record (built in or registered), then those of
    /// the app.
    pub fn all() -> Vec<Resource> {
        let mut all: Vec<Resource> = crate::filter::schema::kinds()
            .into_iter()
            .map(|k| k.resource)
            .collect();
        all.extend(Resource::APP);
        all
    }

    /// The resource of this name, if there is one.
    pub fn named(name: &str) -> Option<Resource> {
        Resource::all().into_iter().find(|r| r.name == name)
    }
}

impl PartialEq for Resource {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Resource {}

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
    for res in Resource::all() {
        for act in Action::ALL {
            out.push_str(&format!("| {} | {} |", res.label, act.as_str()));
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
        for res in Resource::all() {
            for act in Action::ALL {
                assert!(Role::Admin.may(act, res));
                assert_eq!(
                    Role::ReadOnly.may(act, res),
                    act == Action::Read && res != Resource::TRANSFER
                );
            }
        }
    }

    #[test]
    fn only_admins_purge_and_manage_users() {
        for r in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            assert!(!r.may(Action::Purge, Resource::PEOPLE));
            assert!(!r.may(Action::Create, Resource::USERS));
            assert!(r.may(Action::Read, Resource::USERS));
        }
    }

    #[test]
    fn departments_write_what_they_work_on() {
        assert!(Role::Sales.may(Action::Create, Resource::PEOPLE));
        assert!(!Role::Sales.may(Action::Delete, Resource::PEOPLE));
        assert!(Role::Manager.may(Action::Delete, Resource::PEOPLE));
        assert!(Role::Delivery.may(Action::Create, Resource::INTERACTIONS));
        assert!(!Role::Delivery.may(Action::Update, Resource::PEOPLE));
        assert!(Role::Accounting.may(Action::Update, Resource::COMPANIES));
        assert!(Role::Marketing.may(Action::Create, Resource::TRANSFER));
        assert!(Role::Marketing.may(Action::Read, Resource::TRANSFER));
        assert!(!Role::Sales.may(Action::Read, Resource::TRANSFER));
        assert!(!Role::Support.may(Action::Create, Resource::TRANSFER));
    }

    #[test]
    fn the_permissions_document_shows_the_matrix() {
        let doc = include_str!("../../../docs/PERMISSIONS.md");
        assert!(
            doc.contains(&matrix_markdown()),
            "docs/PERMISSIONS.md differs from `relais permissions`"
        );
    }

    #[test]
    fn a_name_finds_its_resource_and_no_other() {
        assert_eq!(
            Resource::named("custom_fields"),
            Some(Resource::CUSTOM_FIELDS)
        );
        assert_eq!(Resource::named("people"), Some(Resource::PEOPLE));
        assert_eq!(Resource::named("spaceships"), None);
    }

    #[test]
    fn roles_parse_by_name() {
        assert_eq!(Role::parse("read_only").unwrap(), Role::ReadOnly);
        assert!(Role::parse("boss").is_err());
    }
}
