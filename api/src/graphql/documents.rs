//! Documents parsed and bounded once, kept by their text: a frontend sends
//! the same few queries all day, and parsing each again (with the bounds'
//! walk over every fragment spread) is work that only grows with traffic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::ServerError;
use async_graphql::parser::types::{ExecutableDocument, OperationType};

use super::bounds::{self, Bounds};

/// Documents kept at once; the least recently used goes first.
const KEPT: usize = 512;
/// Longer texts are parsed every time rather than held: the cache's memory
/// stays under `KEPT` times this.
const LONGEST_KEPT: usize = 16 * 1024;

/// A document that passed the text and expansion bounds, with the names of
/// its operations' root fields.
pub struct Parsed {
    pub document: ExecutableDocument,
    pub roots: Vec<(OperationType, Vec<String>)>,
}

/// Why a text is refused before validation.
pub enum Refused {
    /// Over a bound: the message says which.
    TooBig(String),
    /// Not GraphQL.
    Parse(ServerError),
}

struct Kept {
    parsed: Arc<Parsed>,
    used: u64,
}

/// The documents of one server, shared by every request.
#[derive(Default)]
pub struct Documents {
    kept: Mutex<(HashMap<String, Kept>, u64)>,
}

impl Documents {
    /// `text` bounded and parsed, from the cache when it was seen before.
    /// Refusals are not kept: they cost the sender, not the server.
    pub fn parse(&self, text: &str, limits: &Bounds) -> Result<Arc<Parsed>, Refused> {
        if let Some(parsed) = self.kept(text) {
            return Ok(parsed);
        }
        bounds::scan(text, limits).map_err(|err| Refused::TooBig(err.0))?;
        let document =
            async_graphql::parser::parse_query(text).map_err(|err| Refused::Parse(err.into()))?;
        bounds::expand(&document, limits).map_err(|err| Refused::TooBig(err.0))?;
        let parsed = Arc::new(Parsed {
            roots: bounds::root_names(&document),
            document,
        });
        // A text with a string in it may carry an ID number or a name
        // written in place of a variable: such a text is not held, nor
        // does its being held or not tell one caller what another sent.
        // Frontends send variables, so their texts have none and repeat.
        if text.len() <= LONGEST_KEPT && !text.contains('"') {
            self.keep(text, parsed.clone());
        }
        Ok(parsed)
    }

    fn locked(&self) -> std::sync::MutexGuard<'_, (HashMap<String, Kept>, u64)> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn kept(&self, text: &str) -> Option<Arc<Parsed>> {
        let mut kept = self.locked();
        let (documents, clock) = &mut *kept;
        *clock += 1;
        let entry = documents.get_mut(text)?;
        entry.used = *clock;
        Some(entry.parsed.clone())
    }

    fn keep(&self, text: &str, parsed: Arc<Parsed>) {
        let mut kept = self.locked();
        let (documents, clock) = &mut *kept;
        if documents.len() >= KEPT
            && let Some(oldest) = documents
                .iter()
                .min_by_key(|(_, entry)| entry.used)
                .map(|(text, _)| text.clone())
        {
            documents.remove(&oldest);
        }
        *clock += 1;
        documents.insert(
            text.to_owned(),
            Kept {
                parsed,
                used: *clock,
            },
        );
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locked().0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Bounds {
        Bounds {
            max_tokens: 1000,
            max_nesting: 20,
            max_directives: 10,
            max_fields: 100,
            max_aliases: 10,
            max_root_fields: 10,
        }
    }

    fn parsed(documents: &Documents, text: &str) -> Arc<Parsed> {
        documents.parse(text, &limits()).ok().expect("parses")
    }

    #[test]
    fn a_text_is_parsed_once_and_the_least_recently_used_goes_first() {
        let documents = Documents::default();
        let first = parsed(&documents, "{ me { id } }");
        assert!(Arc::ptr_eq(&first, &parsed(&documents, "{ me { id } }")));
        let mut oldest = None;
        for n in 0..KEPT {
            let one = parsed(&documents, &format!("{{ a{n}: me {{ id }} }}"));
            oldest.get_or_insert(one);
            // The first is used all along, so it stays.
            parsed(&documents, "{ me { id } }");
        }
        assert_eq!(documents.len(), KEPT);
        assert!(Arc::ptr_eq(&first, &parsed(&documents, "{ me { id } }")));
        // Sent once and not since: it went, and is parsed anew.
        let oldest = oldest.expect("one kept");
        assert!(!Arc::ptr_eq(
            &oldest,
            &parsed(&documents, "{ a0: me { id } }")
        ));
    }

    #[test]
    fn refusals_and_texts_with_strings_are_not_kept() {
        let documents = Documents::default();
        assert!(matches!(
            documents.parse("{ me { ", &limits()),
            Err(Refused::Parse(_))
        ));
        assert!(documents.parse(&"{ a }".repeat(300), &limits()).is_err());
        assert_eq!(documents.len(), 0);
        parsed(
            &documents,
            r#"{ resident(idNumber: "42050219900101001X") { id } }"#,
        );
        assert_eq!(documents.len(), 0, "a text with a string is not held");
    }
}
