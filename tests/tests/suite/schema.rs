//! The committed schema is the served schema: a change to the contract is a
//! visible diff of `schema.graphql`.

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let served = gridgov::graphql::sdl();
    assert!(
        committed == served,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and review the diff"
    );
}

/// Every field that returns a connection, with its arguments, read off the
/// committed schema's text: (type, field, arguments).
fn connection_fields(sdl: &str) -> Vec<(String, String, Vec<String>)> {
    let mut found = Vec::new();
    let mut in_type = String::new();
    let mut field: Option<(String, Vec<String>)> = None;
    for line in sdl.lines() {
        if let Some(rest) = line.strip_prefix("type ") {
            in_type = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        } else if let Some(name) = line.strip_prefix('\t').and_then(|l| l.strip_suffix('(')) {
            field = Some((name.to_owned(), Vec::new()));
        } else if let (Some((_, args)), Some(arg)) = (&mut field, line.strip_prefix("\t\t")) {
            if let Some((name, _)) = arg.split_once(':') {
                args.push(name.to_owned());
            }
        } else if let Some(returns) = line.strip_prefix("\t): ") {
            if let Some((name, args)) = field.take()
                && returns.trim_end_matches('!').ends_with("Connection")
            {
                found.push((in_type.clone(), name, args));
            }
        } else if let Some((name, returns)) =
            line.strip_prefix('\t').and_then(|l| l.split_once(": "))
            && returns.trim_end_matches('!').ends_with("Connection")
            && !name.starts_with('\t')
        {
            found.push((in_type.clone(), name.to_owned(), Vec::new()));
        }
    }
    found
}

#[test]
fn every_list_has_one_shape() {
    let sdl = gridgov::graphql::sdl();
    let lists = connection_fields(&sdl);
    assert!(lists.len() > 15, "the scan finds the lists: {lists:?}");
    for (in_type, field, args) in &lists {
        for paging in ["first", "after", "last", "before"] {
            assert!(
                args.iter().any(|arg| arg == paging),
                "{in_type}.{field} pages with `{paging}`: {args:?}"
            );
        }
        // The lists of the whole record filter and order; those an object
        // holds are its own rows, in their own order.
        if in_type == "Query" {
            for shape in ["filter", "orderBy"] {
                assert!(
                    args.iter().any(|arg| arg == shape),
                    "{field} takes `{shape}`: {args:?}"
                );
            }
        }
    }
}
