//! How big a document may be, checked before any work that grows with it.
//!
//! Two checks, each linear in the text: [`scan`] runs on the raw text
//! before it is parsed (the parser recurses once per nesting level, so a
//! few thousand brackets would overflow its stack), and [`expand`] runs on
//! the parsed document before validation (fragments that each spread the
//! previous one twice expand exponentially, and validation walks the
//! expansion). Everything later — validation, complexity, execution — then
//! works on a document of bounded size.

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet,
};

/// The limits a document must keep.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Lexical tokens in the text.
    pub max_tokens: usize,
    /// Brackets open at once: `{` of selections, `[` and `{` of input
    /// values, `(` of arguments, together.
    pub max_nesting: usize,
    /// `@directive` uses in the whole document.
    pub max_directives: usize,
    /// Fields (and fragment spreads) of an operation with every fragment
    /// spread in place.
    pub max_fields: usize,
    /// Aliased fields of an operation, fragments spread in place.
    pub max_aliases: usize,
    /// Top-level fields of one operation.
    pub max_root_fields: usize,
}

/// Why a document was refused, said to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooBig(pub String);

/// Counts tokens, open brackets and directives of the raw text, skipping
/// strings and comments, and stops at the first bound passed.
pub fn scan(text: &str, bounds: &Bounds) -> Result<(), TooBig> {
    let bytes = text.as_bytes();
    let (mut at, mut tokens, mut depth, mut directives) = (0, 0usize, 0usize, 0usize);
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                at += 1;
                continue;
            }
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' && bytes[at] != b'\r' {
                    at += 1;
                }
                continue;
            }
            b'"' => at = skip_string(bytes, at),
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > bounds.max_nesting {
                    return Err(TooBig(format!(
                        "the document nests deeper than {} brackets (selections, lists, objects and arguments together)",
                        bounds.max_nesting
                    )));
                }
                at += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            b'@' => {
                directives += 1;
                if directives > bounds.max_directives {
                    return Err(TooBig(format!(
                        "a document may use at most {} directives",
                        bounds.max_directives
                    )));
                }
                at += 1;
            }
            b'.' if bytes[at..].starts_with(b"...") => at += 3,
            _ if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' => {
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric()
                        || matches!(bytes[at], b'_' | b'-' | b'+' | b'.'))
                {
                    at += 1;
                }
            }
            _ => at += 1,
        }
        tokens += 1;
        if tokens > bounds.max_tokens {
            return Err(TooBig(format!(
                "a document may hold at most {} tokens",
                bounds.max_tokens
            )));
        }
    }
    Ok(())
}

/// The position just past the string starting at `start` (a `"` or a
/// `"""` block string); the end of the text if it never closes (the parser
/// then says what is wrong).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut at = start + 3;
        while at < bytes.len() {
            if bytes[at..].starts_with(b"\\\"\"\"") {
                at += 4;
            } else if bytes[at..].starts_with(b"\"\"\"") {
                return at + 3;
            } else {
                at += 1;
            }
        }
        return bytes.len();
    }
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            b'\n' | b'\r' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// What a selection set adds up to with its fragments spread in place.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    fields: usize,
    aliases: usize,
}

impl Size {
    fn add(self, other: Size) -> Size {
        Size {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
        }
    }
}

/// Sizes each fragment once (memoised), so the whole check is linear in
/// the document however often fragments spread each other.
struct Expansion<'a> {
    document: &'a ExecutableDocument,
    sizes: HashMap<&'a str, Option<Size>>,
}

impl<'a> Expansion<'a> {
    fn set(&mut self, set: &'a SelectionSet) -> Result<Size, TooBig> {
        let mut total = Size::default();
        for item in &set.items {
            let size = match &item.node {
                Selection::Field(field) => Size {
                    fields: 1,
                    aliases: usize::from(field.node.alias.is_some()),
                }
                .add(self.set(&field.node.selection_set.node)?),
                Selection::InlineFragment(inline) => self.set(&inline.node.selection_set.node)?,
                // A spread counts as a selection of its own, so that spreads
                // of a fragment that does not exist (validation refuses it
                // later) cannot double for nothing.
                Selection::FragmentSpread(spread) => Size {
                    fields: 1,
                    aliases: 0,
                }
                .add(self.fragment(spread.node.fragment_name.node.as_str())?),
            };
            total = total.add(size);
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Size, TooBig> {
        match self.sizes.get(name) {
            Some(Some(size)) => return Ok(*size),
            Some(None) => {
                return Err(TooBig(format!("fragment {name} spreads itself")));
            }
            None => {}
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            // Validation reports an unknown fragment.
            return Ok(Size::default());
        };
        self.sizes.insert(key.as_str(), None);
        let size = self.set(&fragment.node.selection_set.node)?;
        self.sizes.insert(key.as_str(), Some(size));
        Ok(size)
    }
}

/// Checks every operation's size with its fragments spread in place.
pub fn expand(document: &ExecutableDocument, bounds: &Bounds) -> Result<(), TooBig> {
    let mut expansion = Expansion {
        document,
        sizes: HashMap::new(),
    };
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values().collect(),
    };
    let mut aliases = 0usize;
    for operation in operations {
        let set = &operation.node.selection_set.node;
        let size = expansion.set(set)?;
        if size.fields > bounds.max_fields {
            return Err(TooBig(format!(
                "an operation may select at most {} fields, fragments counted each time they are spread",
                bounds.max_fields
            )));
        }
        aliases = aliases.saturating_add(size.aliases);
        let root = root_fields(document, set, 0);
        if root > bounds.max_root_fields {
            return Err(TooBig(format!(
                "an operation may ask for at most {} top-level fields",
                bounds.max_root_fields
            )));
        }
    }
    if aliases > bounds.max_aliases {
        return Err(TooBig(format!(
            "a query may use at most {} aliases",
            bounds.max_aliases
        )));
    }
    Ok(())
}

/// Top-level fields of a selection set, through fragments. Called only on
/// operations whose expansion [`expand`] has bounded, so the walk is too.
fn root_fields(document: &ExecutableDocument, set: &SelectionSet, depth: usize) -> usize {
    if depth > 64 {
        return 0;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(inline) => {
                root_fields(document, &inline.node.selection_set.node, depth + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(spread.node.fragment_name.node.as_str())
                .map_or(0, |fragment| {
                    root_fields(document, &fragment.node.selection_set.node, depth + 1)
                }),
        })
        .sum()
}

/// The operation a request runs: the only one, or the one it names.
pub fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()?
        }
        _ => return None,
    };
    Some(&operation.node)
}

/// The type and top-level field names of every operation: what an
/// anonymous caller may send is judged from these. Call it only on a
/// document [`expand`] has accepted: the walk follows every spread.
pub fn root_names(document: &ExecutableDocument) -> Vec<(OperationType, Vec<String>)> {
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values().collect(),
    };
    operations
        .into_iter()
        .map(|operation| {
            let mut names = Vec::new();
            collect_names(document, &operation.node.selection_set.node, &mut names, 0);
            (operation.node.ty, names)
        })
        .collect()
}

fn collect_names(
    document: &ExecutableDocument,
    set: &SelectionSet,
    names: &mut Vec<String>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => names.push(field.node.name.node.to_string()),
            Selection::InlineFragment(inline) => {
                collect_names(document, &inline.node.selection_set.node, names, depth + 1);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document
                    .fragments
                    .get(spread.node.fragment_name.node.as_str())
                {
                    collect_names(
                        document,
                        &fragment.node.selection_set.node,
                        names,
                        depth + 1,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Bounds = Bounds {
        max_tokens: 1_000,
        max_nesting: 16,
        max_directives: 10,
        max_fields: 200,
        max_aliases: 10,
        max_root_fields: 5,
    };

    fn parse(text: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(text).expect("parses")
    }

    #[test]
    fn deep_input_values_are_refused_before_parsing() {
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(5_000), "]".repeat(5_000));
        assert!(scan(&deep, &BOUNDS).is_err());
        let object = format!("query($v: In = {}) {{ a }}", "{a: ".repeat(3_000));
        assert!(scan(&object, &BOUNDS).is_err());
        assert!(scan("{ a(x: [[1]]) { b { c } } }", &BOUNDS).is_ok());
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        let text = format!(
            "# {}\n{{ a(x: \"{}\", y: \"\"\"{}\\\"\"\" \"\"\") }}",
            "{".repeat(100),
            "[".repeat(100),
            "(".repeat(100)
        );
        assert_eq!(scan(&text, &BOUNDS), Ok(()));
    }

    #[test]
    fn tokens_and_directives_are_counted() {
        let many = format!("{{ {} }}", "a ".repeat(2_000));
        assert!(scan(&many, &BOUNDS).is_err());
        let directives = format!("{{ a {} }}", "@skip(if: false) ".repeat(11));
        assert!(scan(&directives, &BOUNDS).is_err());
    }

    #[test]
    fn fragments_that_double_are_refused_without_expanding_them() {
        let mut text = String::from("query { ...F0 }\nfragment F40 on Query { __typename }\n");
        for level in 0..40 {
            text.push_str(&format!(
                "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
                next = level + 1
            ));
        }
        // 2^40 fields: this returns only because fragments are sized once.
        assert!(expand(&parse(&text), &BOUNDS).is_err());
    }

    #[test]
    fn spreads_of_a_missing_fragment_cannot_double_for_nothing() {
        let mut text =
            String::from("query { ...F0 }\nfragment F40 on Query { ...Missing ...Missing }\n");
        for level in 0..40 {
            text.push_str(&format!(
                "fragment F{level} on Query {{ ...F{next} ...F{next} }}\n",
                next = level + 1
            ));
        }
        assert!(expand(&parse(&text), &BOUNDS).is_err());
    }

    #[test]
    fn aliases_count_every_time_their_fragment_is_spread() {
        let text = "query { ...F ...F ...F } fragment F on Query { a: x b: x c: x d: x }";
        assert!(expand(&parse(text), &BOUNDS).is_err());
        let text = "query { ...F } fragment F on Query { a: x b: x }";
        assert!(expand(&parse(text), &BOUNDS).is_ok());
    }

    #[test]
    fn a_fragment_cycle_is_refused() {
        let text = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(expand(&parse(text), &BOUNDS).is_err());
    }

    #[test]
    fn root_names_see_through_fragments() {
        let text = "mutation { ...L } fragment L on Mutation { login(username: \"a\", password: \"b\") { accessToken } }";
        let names = root_names(&parse(text));
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].0, OperationType::Mutation);
        assert_eq!(names[0].1, vec!["login".to_owned()]);
    }
}
