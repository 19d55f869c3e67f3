//! The demo schemas shipped with intake, embedded in the binary.
//!
//! Each models one of the source systems intake learns from; together they exercise every
//! import rule, and the tests use them.

use crate::schema::{Schema, SchemaErrors};

/// One demo schema.
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    /// Its name, as given to `intake init --demo`.
    pub name: &'static str,
    /// One line about it.
    pub summary: &'static str,
    /// The TOML source, written as `intake.toml` by `intake init`.
    pub source: &'static str,
}

/// Every demo, in the order `intake init --help` lists them.
pub const DEMOS: &[Demo] = &[
    Demo {
        name: "crm",
        summary: "accounts, contacts, leads, opportunities, interactions, service requests and orders",
        source: include_str!("../demos/crm.toml"),
    },
    Demo {
        name: "rollout",
        summary: "an IT rollout inventory: clients with workflow status, assignees and custom fields",
        source: include_str!("../demos/rollout.toml"),
    },
    Demo {
        name: "msp",
        summary: "companies and their sites for a managed-services platform, one row per site",
        source: include_str!("../demos/msp.toml"),
    },
    Demo {
        name: "ticketing",
        summary: "ticketing contacts with criteria, authorisations and associations",
        source: include_str!("../demos/ticketing.toml"),
    },
];

/// The demo with this name.
pub fn demo(name: &str) -> Option<&'static Demo> {
    DEMOS.iter().find(|d| d.name == name)
}

impl Demo {
    /// Loads the demo's schema.
    pub fn schema(&self) -> Result<Schema, SchemaErrors> {
        Schema::from_toml(&format!("demo `{}`", self.name), self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_loads() {
        for d in DEMOS {
            let s = d.schema().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.name, d.name);
            assert!(!s.types.is_empty());
        }
    }
}
