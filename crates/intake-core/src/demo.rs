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
    use std::collections::BTreeSet;

    use super::*;
    use crate::cell::{self, CellFormats, NumberFormat};
    use crate::describe;
    use crate::mapping::normalise;
    use crate::schema::{Charset, Field, FieldType, RecordType, Unique};

    fn schemas() -> Vec<(&'static str, Schema)> {
        DEMOS
            .iter()
            .map(|d| (d.name, d.schema().unwrap_or_else(|e| panic!("{e}"))))
            .collect()
    }

    fn demo_schema(name: &str) -> Schema {
        demo(name)
            .unwrap_or_else(|| panic!("no demo `{name}`"))
            .schema()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Every type name; the exhaustive match in `type_index` makes a new variant fail to
    /// compile here.
    const ALL_TYPES: &[&str] = crate::schema::FIELD_TYPES;

    fn type_index(t: &FieldType) -> usize {
        match t {
            FieldType::Text(_) => 0,
            FieldType::Integer { .. } => 1,
            FieldType::Decimal { .. } => 2,
            FieldType::Date => 3,
            FieldType::DateTime => 4,
            FieldType::Boolean => 5,
            FieldType::Email => 6,
            FieldType::Phone { .. } => 7,
            FieldType::Url => 8,
            FieldType::Country => 9,
            FieldType::Subdivision { .. } => 10,
            FieldType::Currency => 11,
            FieldType::Select { .. } => 12,
            FieldType::MultiSelect { .. } => 13,
            FieldType::Path { .. } => 14,
            FieldType::Link(_) => 15,
            FieldType::Uuid => 16,
        }
    }

    #[test]
    fn every_demo_loads() {
        for d in DEMOS {
            let s = d.schema().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.name, d.name);
            assert!(!s.types.is_empty());
            assert!(
                !s.description.is_empty(),
                "{}: the workspace needs a description",
                d.name
            );
        }
    }

    #[test]
    fn demos_together_use_every_field_type() {
        let mut used = BTreeSet::new();
        for (_, s) in schemas() {
            for t in &s.types {
                for f in &t.fields {
                    assert_eq!(ALL_TYPES[type_index(&f.field_type)], f.field_type.name());
                    used.insert(f.field_type.name());
                }
            }
        }
        let missing: Vec<&str> = ALL_TYPES
            .iter()
            .copied()
            .filter(|t| !used.contains(t))
            .collect();
        assert!(
            missing.is_empty(),
            "no demo uses the field types {missing:?}"
        );
    }

    #[test]
    fn every_link_target_exists_and_is_found_by_a_key() {
        for (name, s) in schemas() {
            for t in &s.types {
                for f in &t.fields {
                    let FieldType::Link(link) = &f.field_type else {
                        continue;
                    };
                    let target = s.record_type(&link.target).unwrap_or_else(|| {
                        panic!(
                            "{name}: {}.{} links to unknown `{}`",
                            t.name, f.name, link.target
                        )
                    });
                    assert!(!link.by.is_empty());
                    for by in &link.by {
                        if by == "uuid" {
                            continue;
                        }
                        let g = target.field(by).unwrap_or_else(|| {
                            panic!("{name}: {}.{} finds by unknown `{by}`", t.name, f.name)
                        });
                        let key = g.unique == Unique::InType
                            || target
                                .natural_keys
                                .iter()
                                .any(|k| k.len() == 1 && k[0] == g.name);
                        assert!(
                            key,
                            "{name}: {}.{} finds {} by `{by}`, which is not unique",
                            t.name, f.name, target.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn links_found_by_uuid_only_are_labelled_uuid() {
        for (name, s) in schemas() {
            for t in &s.types {
                for f in &t.fields {
                    let FieldType::Link(link) = &f.field_type else {
                        continue;
                    };
                    if link.by == ["uuid"] {
                        assert!(
                            f.label.ends_with(" UUID"),
                            "{name}: {}.{} is labelled `{}`",
                            t.name,
                            f.name,
                            f.label
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_field_has_help_and_an_example_that_parses() {
        let mut bad = Vec::new();
        for (name, s) in schemas() {
            let l = &s.locale;
            let formats = CellFormats {
                number: NumberFormat {
                    decimal: l.decimal_separator,
                    thousands: l.thousands_separator,
                },
                date: &l.date_format,
                datetime: &l.datetime_format,
                phone_region: l.phone_region.as_deref().and_then(cell::phone_region),
            };
            for t in &s.types {
                assert!(
                    !t.description.is_empty(),
                    "{name}: {} has no description",
                    t.name
                );
                for f in &t.fields {
                    let at = format!("{name}: {}.{}", t.name, f.name);
                    assert!(f.help.len() >= 10, "{at}: no help text");
                    let example = f
                        .example
                        .as_deref()
                        .unwrap_or_else(|| panic!("{at}: no example"));
                    let country = match &f.field_type {
                        FieldType::Subdivision {
                            country_field: Some(c),
                        } => t.field(c.as_str()).and_then(|c| c.example.as_deref()),
                        _ => None,
                    };
                    let list = f.field_type.list().and_then(|n| s.list(n));
                    if let Err(e) = cell::parse(f, list, example, &formats, country) {
                        bad.push(format!(
                            "{at}: the example `{example}` does not parse: {}",
                            e.message
                        ));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    /// An alias that repeats, or means another field or the record's UUID, would map columns wrongly.
    #[test]
    fn headers_and_aliases_are_unambiguous_within_a_type() {
        let mut bad = Vec::new();
        for (name, s) in schemas() {
            for t in &s.types {
                let uuid = [
                    normalise(&t.uuid_header()),
                    "uuid".to_string(),
                    normalise(&format!("{} id", t.label)),
                ];
                let mut seen: Vec<(String, &str)> = Vec::new();
                for f in &t.fields {
                    let at = format!("{name}: {}.{}", t.name, f.name);
                    let mut own: BTreeSet<String> = BTreeSet::new();
                    own.insert(normalise(&f.label));
                    own.insert(normalise(f.name.as_str()));
                    for a in &f.aliases {
                        let n = normalise(a);
                        if uuid.contains(&n) {
                            bad.push(format!("{at}: alias `{a}` means the record's own UUID"));
                        }
                        if !own.insert(n) {
                            bad.push(format!(
                                "{at}: alias `{a}` repeats the label, the name or another alias"
                            ));
                        }
                    }
                    for n in own {
                        if let Some((_, other)) = seen.iter().find(|(m, _)| *m == n) {
                            bad.push(format!("{at}: `{n}` also names {}.{other}", t.name));
                        }
                        seen.push((n, f.name.as_str()));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn every_list_is_used_by_a_field() {
        for (name, s) in schemas() {
            for list in s.lists.keys() {
                let used = s
                    .types
                    .iter()
                    .flat_map(|t| &t.fields)
                    .any(|f| f.field_type.list() == Some(list.as_str()));
                assert!(used, "{name}: no field uses the list `{list}`");
            }
        }
    }

    #[test]
    fn field_names_are_not_reserved() {
        for (name, s) in schemas() {
            for t in &s.types {
                for f in &t.fields {
                    assert!(
                        !crate::schema::RESERVED_FIELD_NAMES.contains(&f.name.as_str()),
                        "{name}: {}.{}",
                        t.name,
                        f.name
                    );
                }
            }
        }
    }

    #[test]
    fn crm_has_the_record_types_of_the_design() {
        let s = demo_schema("crm");
        let names: BTreeSet<&str> = s.types.iter().map(|t| t.name.as_str()).collect();
        let expected: BTreeSet<&str> = [
            "account",
            "contact",
            "lead",
            "opportunity",
            "marketing_event",
            "interaction",
            "service_request",
            "service_order",
        ]
        .into_iter()
        .collect();
        assert_eq!(names, expected);
        let link = |t: &str, f: &str| -> (String, String) {
            let rt = s.record_type(t).unwrap();
            let field = rt.field(f).unwrap_or_else(|| panic!("{t}.{f}"));
            let FieldType::Link(l) = &field.field_type else {
                panic!("{t}.{f} is not a link")
            };
            (l.target.clone(), field.label.clone())
        };
        let expect = |t: &str, f: &str, target: &str, label: &str| {
            assert_eq!(
                link(t, f),
                (target.to_string(), label.to_string()),
                "{t}.{f}"
            );
        };
        expect(
            "account",
            "parent_account",
            "account",
            "Parent Account UUID",
        );
        expect("contact", "account", "account", "Account UUID");
        expect("lead", "primary_contact", "contact", "Primary Contact UUID");
        expect("lead", "account", "account", "Account UUID");
        expect(
            "opportunity",
            "primary_contact",
            "contact",
            "Primary Contact UUID",
        );
        expect("opportunity", "account", "account", "Account UUID");
        expect(
            "opportunity",
            "source_event",
            "marketing_event",
            "Source Event UUID",
        );
        expect("interaction", "contact", "contact", "Contact UUID");
        expect(
            "interaction",
            "opportunity",
            "opportunity",
            "Opportunity UUID",
        );
        expect("interaction", "lead", "lead", "Lead UUID");
        expect(
            "interaction",
            "source_event",
            "marketing_event",
            "Source Event UUID",
        );
        expect("service_request", "account", "account", "Account UUID");
        expect("service_request", "contact", "contact", "Contact UUID");
        expect(
            "service_order",
            "service_request",
            "service_request",
            "Service Request UUID",
        );

        let order = s.record_type("service_order").unwrap();
        assert!(order.field("service_request").unwrap().required);
        assert_eq!(
            order.field("order_number").unwrap().unique,
            Unique::Within(order.field("service_request").unwrap().name.clone())
        );
        let opp = s.record_type("opportunity").unwrap();
        assert!(
            opp.field("status").unwrap().required,
            "the opportunity status is required"
        );
        assert!(matches!(
            opp.field("amount").unwrap().field_type,
            FieldType::Decimal { scale: 2, .. }
        ));
        let contact = s.record_type("contact").unwrap();
        assert_eq!(contact.field("email").unwrap().unique, Unique::InType);
        assert!(
            contact
                .natural_keys
                .iter()
                .any(|k| k.len() == 1 && k[0].as_str() == "email")
        );
        assert!(matches!(
            contact.field("roles").unwrap().field_type,
            FieldType::Path { .. }
        ));
        let request = s.record_type("service_request").unwrap();
        assert!(matches!(
            request.field("device").unwrap().field_type,
            FieldType::Uuid
        ));

        // The country dropdown: a lookup list with codes and the labels users pick.
        let country = s.record_type("account").unwrap().field("country").unwrap();
        let FieldType::Select { list } = &country.field_type else {
            panic!("account.country is not a select")
        };
        let list = s.list(list).unwrap();
        let options: Vec<(&str, &str)> = list
            .options
            .iter()
            .map(|o| (o.code.as_str(), o.label.as_str()))
            .collect();
        assert_eq!(
            options,
            [
                ("CA", "Canada"),
                ("FR", "France"),
                ("DE", "Germany"),
                ("US", "United States")
            ]
        );
        assert_eq!(cell::parse_select("United States", list), Ok("US"));
        assert!(cell::parse_select("Spain", list).is_err());
        assert_eq!(s.locale.clear_token, "#N/A");
    }

    fn text_rules<'a>(rt: &'a RecordType, f: &str) -> &'a crate::schema::TextRules {
        match &rt
            .field(f)
            .unwrap_or_else(|| panic!("{}.{f}", rt.name))
            .field_type
        {
            FieldType::Text(r) => r,
            other => panic!("{}.{f} is a {} field", rt.name, other.name()),
        }
    }

    #[test]
    fn msp_ids_names_and_addresses_follow_the_platform_rules() {
        let s = demo_schema("msp");
        let company = s.record_type("company").unwrap();
        let site = s.record_type("site").unwrap();
        for (rt, f, max, charset) in [
            (company, "company_id", 30, Charset::Alphanumeric),
            (company, "name", 50, Charset::AlphanumericSpace),
            (site, "site_id", 30, Charset::Alphanumeric),
            (site, "name", 50, Charset::AlphanumericSpace),
        ] {
            let r = text_rules(rt, f);
            assert_eq!(r.max_length, Some(max), "{}.{f}", rt.name);
            assert_eq!(r.charset, charset, "{}.{f}", rt.name);
            assert!(rt.field(f).unwrap().required, "{}.{f} is required", rt.name);
        }
        for f in ["address_line1", "address_line2"] {
            assert_eq!(text_rules(site, f).max_length, Some(50), "site.{f}");
        }
        // No commas in any text field of either type.
        for rt in [company, site] {
            for f in &rt.fields {
                if let FieldType::Text(r) = &f.field_type {
                    assert!(
                        r.forbidden.contains(','),
                        "{}.{} allows commas",
                        rt.name,
                        f.name
                    );
                }
            }
        }
        assert!(cell::check_text("Smith, Jones", text_rules(site, "address_line1")).is_err());
        assert!(cell::check_text("North Wind Traders", text_rules(company, "name")).is_ok());
        assert!(cell::check_text("NW-01", text_rules(company, "company_id")).is_err());
        assert!(
            company
                .natural_keys
                .iter()
                .any(|k| k.len() == 1 && k[0].as_str() == "company_id")
        );
        assert_eq!(company.field("company_id").unwrap().unique, Unique::InType);
        assert!(site.field("country").unwrap().required);
        assert!(matches!(
            site.field("country").unwrap().field_type,
            FieldType::Country
        ));
        let FieldType::Subdivision {
            country_field: Some(cf),
        } = &site.field("state").unwrap().field_type
        else {
            panic!("site.state is not a subdivision with a country field")
        };
        assert_eq!(cf.as_str(), "country");
        let FieldType::Link(link) = &site.field("company").unwrap().field_type else {
            panic!("site.company")
        };
        assert_eq!(
            (link.target.as_str(), link.by.clone()),
            (
                "company",
                vec!["uuid".to_string(), "company_id".to_string()]
            )
        );
        for f in ["email_type", "phone_type"] {
            assert!(
                matches!(site.field(f).unwrap().field_type, FieldType::Select { .. }),
                "site.{f}"
            );
        }
    }

    #[test]
    fn rollout_finds_users_by_name_email_or_id() {
        let s = demo_schema("rollout");
        let client = s.record_type("client").unwrap();
        for f in ["assignee", "client_user"] {
            let FieldType::Link(l) = &client.field(f).unwrap().field_type else {
                panic!("client.{f}")
            };
            assert_eq!(l.target, "user");
            assert_eq!(l.by, ["uuid", "email", "user_id", "name"]);
        }
        let name = client.field("name").unwrap();
        assert!(name.required);
        assert!(
            client
                .natural_keys
                .iter()
                .any(|k| k.len() == 1 && k[0].as_str() == "name")
        );
        assert!(client.field("status").unwrap().required);
        assert!(matches!(
            client.field("software").unwrap().field_type,
            FieldType::MultiSelect { separator: ';', .. }
        ));
        let FieldType::Link(l) = &client.field("linked_client").unwrap().field_type else {
            panic!("linked_client")
        };
        assert_eq!(l.target, "client");
    }

    #[test]
    fn ticketing_contacts_need_nothing_and_authorisations_are_tri_state() {
        let s = demo_schema("ticketing");
        let contact = s.record_type("contact").unwrap();
        let required: Vec<&str> = contact
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.as_str())
            .collect();
        assert!(required.is_empty(), "required contact fields: {required:?}");
        let keys: Vec<Vec<&str>> = contact
            .natural_keys
            .iter()
            .map(|k| k.iter().map(|n| n.as_str()).collect())
            .collect();
        assert_eq!(keys, [vec!["email"], vec!["contact_id"]]);
        for f in ["allow_email", "allow_sms", "allow_post"] {
            let field = contact.field(f).unwrap();
            assert!(
                matches!(field.field_type, FieldType::Boolean) && !field.required,
                "contact.{f}"
            );
        }
        let assoc = s.record_type("contact_criterion").unwrap();
        let keys: Vec<Vec<&str>> = assoc
            .natural_keys
            .iter()
            .map(|k| k.iter().map(|n| n.as_str()).collect())
            .collect();
        assert_eq!(keys, [vec!["contact", "criterion"]]);
        let FieldType::Select { list } = &assoc.field("value").unwrap().field_type else {
            panic!("value")
        };
        let list = s.list(list).unwrap();
        assert_eq!(
            cell::parse_select("NEWSLETTER_FR", list),
            Ok("NEWSLETTER_FR")
        );
        assert!(
            cell::parse_select("newsletter_fr", list).is_err(),
            "codes match exactly"
        );
    }

    #[test]
    fn every_type_describes_every_column() {
        for (_, s) in schemas() {
            for t in &s.types {
                let cols = describe::describe(&s, t);
                assert_eq!(
                    cols.len(),
                    t.fields.len() + 1 + describe::inline_columns(&s, t).len()
                );
                let headers = describe::template_headers_with_inline(&s, t);
                assert_eq!(
                    cols.iter().map(|c| c.header.clone()).collect::<Vec<_>>(),
                    headers
                );
                assert_eq!(cols[0].header, t.uuid_header());
                let _ = describe::table_schema(&s, t);
            }
        }
    }

    fn headers_of(name: &str, t: &RecordType) -> String {
        let mut out = format!("{name}.{}:\n", t.name);
        for h in describe::template_headers(t) {
            let f: Option<&Field> = t.fields.iter().find(|f| f.label == h);
            let mark = match f {
                Some(f) if f.required => " *",
                _ => "",
            };
            out.push_str(&format!("  {h}{mark}\n"));
        }
        out
    }

    #[test]
    fn template_headers_of_every_demo() {
        let mut out = String::new();
        for (name, s) in schemas() {
            // By name, so the snapshot does not depend on the declaration order.
            let mut types: Vec<&RecordType> = s.types.iter().collect();
            types.sort_by(|a, b| a.name.cmp(&b.name));
            for t in types {
                out.push_str(&headers_of(name, t));
            }
        }
        insta::assert_snapshot!("template_headers", out);
    }
}
