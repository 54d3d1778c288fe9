//! The text form of filters, read and written: its tests.
mod reading {
    use super::super::*;

    fn text(s: &str) -> Literal {
        Literal::Text(s.into())
    }

    #[test]
    fn conditions_combine_with_and_or_not() {
        let f = parse(r#"stage = customer and city = "Lyon" and not tag = vip"#).unwrap();
        assert_eq!(
            f,
            Filter::And(vec![
                Filter::cond("stage", Op::Eq, text("customer")),
                Filter::cond("city", Op::Eq, text("Lyon")),
                Filter::Not(Box::new(Filter::cond("tag", Op::Eq, text("vip")))),
            ])
        );
        let f = parse("a = 1 or b = 2 and c = 3").unwrap();
        assert_eq!(
            f,
            Filter::Or(vec![
                Filter::cond("a", Op::Eq, Literal::Number(1.0)),
                Filter::And(vec![
                    Filter::cond("b", Op::Eq, Literal::Number(2.0)),
                    Filter::cond("c", Op::Eq, Literal::Number(3.0)),
                ]),
            ])
        );
        assert!(matches!(
            parse("(a = 1 or b = 2) and c = 3").unwrap(),
            Filter::And(_)
        ));
    }

    #[test]
    fn every_operator_and_kind_of_value_reads() {
        let cases: &[(&str, Filter)] = &[
            ("n != 2.5", Filter::cond("n", Op::Ne, Literal::Number(2.5))),
            ("n <> -3", Filter::cond("n", Op::Ne, Literal::Number(-3.0))),
            ("n < 1", Filter::cond("n", Op::Lt, Literal::Number(1.0))),
            ("n <= 1", Filter::cond("n", Op::Lte, Literal::Number(1.0))),
            ("n > 1", Filter::cond("n", Op::Gt, Literal::Number(1.0))),
            ("n >= 1", Filter::cond("n", Op::Gte, Literal::Number(1.0))),
            (
                "d >= 2026-03-31",
                Filter::cond(
                    "d",
                    Op::Gte,
                    Literal::Date(chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()),
                ),
            ),
            (
                "d < 2026-03-31T09:00:00Z",
                Filter::cond(
                    "d",
                    Op::Lt,
                    Literal::Time("2026-03-31T09:00:00Z".parse().unwrap()),
                ),
            ),
            (
                "d > 90 days ago",
                Filter::cond(
                    "d",
                    Op::Gt,
                    Literal::Relative(Relative {
                        amount: -90,
                        unit: Unit::Days,
                    }),
                ),
            ),
            (
                "d < 2 weeks from now",
                Filter::cond(
                    "d",
                    Op::Lt,
                    Literal::Relative(Relative {
                        amount: 2,
                        unit: Unit::Weeks,
                    }),
                ),
            ),
            (
                "d = today",
                Filter::cond(
                    "d",
                    Op::Eq,
                    Literal::Relative(Relative {
                        amount: 0,
                        unit: Unit::Days,
                    }),
                ),
            ),
            ("b = yes", Filter::cond("b", Op::Eq, Literal::Bool(true))),
            ("b = FALSE", Filter::cond("b", Op::Eq, Literal::Bool(false))),
            (
                "stage in (lead, 'pro\\'spect')",
                Filter::cond(
                    "stage",
                    Op::In,
                    Literal::List(vec![text("lead"), text("pro'spect")]),
                ),
            ),
            (
                "email is empty",
                Filter::cond("email", Op::Exists, Literal::Bool(false)),
            ),
            (
                "email IS NOT EMPTY",
                Filter::cond("email", Op::Exists, Literal::Bool(true)),
            ),
            (
                "first_name starts with \"Émi\"",
                Filter::cond("first_name", Op::Prefix, text("Émi")),
            ),
            (
                "custom.vip = true",
                Filter::cond("custom.vip", Op::Eq, Literal::Bool(true)),
            ),
            (
                "custom.budget >= 1500.5 eur",
                Filter::cond("custom.budget", Op::Gte, text("1500.5 EUR")),
            ),
        ];
        for (s, want) in cases {
            assert_eq!(&parse(s).unwrap(), want, "{s}");
        }
    }

    #[test]
    fn related_records_are_counted_summed_and_ruled_out() {
        let calls = Box::new(Filter::cond("kind", Op::Eq, text("call")));
        assert_eq!(
            parse("interactions(kind = call).count >= 3").unwrap(),
            Filter::Related(Related {
                relation: "interactions".into(),
                filter: calls.clone(),
                measure: Measure::Count {
                    op: Op::Gte,
                    value: 3.0
                },
            })
        );
        let f = parse("no interactions(occurred_at > 180 days ago)").unwrap();
        assert!(matches!(&f, Filter::Related(r) if r.measure == Measure::None));
        let f = parse("interactions(kind = call, occurred_at > 90 days ago)").unwrap();
        assert!(matches!(&f, Filter::Related(r) if r.measure == Measure::Has
            && matches!(&*r.filter, Filter::And(l) if l.len() == 2)));
        let f = parse("interactions.sum(duration_minutes) > 60").unwrap();
        assert!(
            matches!(&f, Filter::Related(Related { measure: Measure::Aggregate {
            aggregate: Aggregate::Sum, field, .. }, filter, .. })
            if field == "duration_minutes" && **filter == Filter::all())
        );
        let f = parse("has tasks and no tasks(done = false)").unwrap();
        assert!(matches!(f, Filter::And(l) if l.len() == 2));
        // `no` as a value is still a value.
        assert_eq!(
            parse("custom.vip = no").unwrap(),
            Filter::cond("custom.vip", Op::Eq, Literal::Bool(false))
        );
    }

    #[test]
    fn mistakes_name_the_position_and_what_was_expected() {
        let e = parse("stage = = customer").unwrap_err();
        assert_eq!((e.position, e.expected.as_str()), (9, "a value"));
        assert_eq!(e.to_string(), "at position 9: expected a value, found '='");
        let e = parse("stage customer").unwrap_err();
        assert_eq!(e.position, 7);
        assert!(e.expected.starts_with("an operator"), "{e}");
        assert_eq!(parse("(stage = lead").unwrap_err().position, 14);
        assert_eq!(parse("city = \"Lyon").unwrap_err().position, 8);
        assert_eq!(
            parse("a = 1 b = 2").unwrap_err().expected,
            "'and', 'or' or the end"
        );
        assert_eq!(parse("interactions.count > x").unwrap_err().position, 22);
        assert_eq!(
            parse("d > 3 days").unwrap_err().expected,
            "'ago' or 'from now'"
        );
        assert_eq!(parse("n = 1.5 days ago").unwrap_err().position, 5);
        assert_eq!(parse("x = 2026-13-45").unwrap_err().position, 5);
        assert_eq!(parse(" ").unwrap(), Filter::all());
        assert_eq!(parse("q").unwrap_err().position, 2);
        assert_eq!(parse("a = #").unwrap_err().position, 5);
        let deep = "(".repeat(100) + "a = 1" + &")".repeat(100);
        assert!(parse(&deep).unwrap_err().expected.contains("nesting"));
        let nots = "not ".repeat(100) + "a = 1";
        assert!(parse(&nots).is_err());
        assert!(parse(&"a".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn written_text_reads_back_as_the_same_tree() {
        for s in [
            r#"stage = customer and city = "Lyon" and not tag = vip"#,
            "(a = 1 or b = 2) and not (c in (x, \"y z\", 3) and d is empty)",
            "interactions(kind = call, occurred_at > 90 days ago).count >= 3",
            "no interactions(occurred_at > 180 days ago) or has tasks",
            "interactions(kind = meeting).max(occurred_at) < 1 years ago",
            "interactions.latest(kind) = call and e starts with \"a\\\"b\"",
            "d >= 2026-03-31 and t < 2026-03-31T09:00:00+00:00 and u = today",
            "q = \"élo dup\" and stage = lead",
        ] {
            let tree = parse(s).unwrap();
            let again = tree.to_string();
            assert_eq!(parse(&again).unwrap(), tree, "{s} → {again}");
        }
    }
}

mod fuzz {
    use super::super::*;

    /// No input panics the reader: random texts built from the language's own pieces and
    /// from arbitrary characters (multi-byte ones included), from a fixed seed.
    #[test]
    fn no_input_panics() {
        const PIECES: &[&str] = &[
            "stage",
            "=",
            "!=",
            "<",
            ">=",
            "(",
            ")",
            ",",
            ".",
            "and",
            "or",
            "not",
            "no",
            "has",
            "in",
            "is",
            "empty",
            "starts",
            "with",
            "\"",
            "'",
            "\\",
            "3",
            "-2",
            "1.5",
            "days",
            "ago",
            "from",
            "now",
            "count",
            "sum",
            "latest",
            "interactions",
            "2026-03-31",
            "é",
            "€",
            "🙂",
            " ",
            "\u{0}",
            "custom.vip",
            "today",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 12) as usize;
            let mut s = String::new();
            for _ in 0..len {
                let r = next();
                if r % 5 == 0 {
                    s.push(char::from_u32((r >> 8) as u32 % 0x2_0000).unwrap_or('x'));
                } else {
                    s.push_str(PIECES[(r >> 8) as usize % PIECES.len()]);
                    s.push(' ');
                }
            }
            if let Ok(tree) = parse(&s) {
                let people = &crate::filter::schema::PEOPLE;
                let _ = crate::filter::check::check(people, &crate::filter::check::NoCustom, &tree);
                // What reads also writes back to text that reads as the same tree.
                assert_eq!(parse(&tree.to_string()).ok(), Some(tree), "{s:?}");
            }
        }
    }
}
