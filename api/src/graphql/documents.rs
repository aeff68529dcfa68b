//! Documents parsed, bounded and validated once: a frontend sends the same
//! few queries all day, and parsing each again (with the bounds' walk over
//! every fragment spread) and validating it again are work that only grows
//! with traffic.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ServerError, ValidationResult, Variables};

use super::bounds::{self, Bounds};
use crate::admission::CallerKey;

/// Documents kept at once in each of the two caches (shared texts, and
/// texts kept for their sender), and validations; the least recently used
/// goes first.
const KEPT: usize = 512;
/// Longer texts are parsed every time rather than held: the caches' memory
/// stays under three times `KEPT` times this (a kept validation holds its
/// document after the document's own cache let it go).
const LONGEST_KEPT: usize = 16 * 1024;
/// Validations with longer variables (in JSON) are not held.
const LONGEST_VARIABLES: usize = 1024;

/// A document that passed the text and expansion bounds, with the names of
/// its operations' root fields.
pub struct Parsed {
    pub document: ExecutableDocument,
    pub roots: Vec<(OperationType, Vec<String>)>,
    /// Whether it is held here, for anyone or for its sender.
    kept: bool,
    /// Whether every operation in it is a query.
    only_queries: bool,
}

/// Why a text is refused before validation.
pub enum Refused {
    /// Over a bound: the message says which.
    TooBig(String),
    /// Not GraphQL.
    Parse(ServerError),
}

/// One caller's operation as validation sees it: a kept document (by
/// identity: it is held here, so its address names no other text), the
/// operation chosen and the variables' values, which the validation reads
/// (their types, and the page sizes the cost is counted with). Keyed by
/// the caller too, so that a validation found kept says nothing about what
/// anyone else sent.
#[derive(Clone)]
pub struct Asked {
    parsed: Arc<Parsed>,
    operation: Option<String>,
    variables: String,
    caller: CallerKey,
}

impl PartialEq for Asked {
    fn eq(&self, other: &Asked) -> bool {
        Arc::ptr_eq(&self.parsed, &other.parsed)
            && self.operation == other.operation
            && self.variables == other.variables
            && self.caller == other.caller
    }
}

impl Eq for Asked {}

impl Hash for Asked {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.parsed).hash(state);
        self.operation.hash(state);
        self.variables.hash(state);
        self.caller.hash(state);
    }
}

/// The most recently used `KEPT` values, by key.
struct Recent<K, V>(Mutex<Stamped<K, V>>);

/// Each value with the tick it was last used at, and the clock.
type Stamped<K, V> = (HashMap<K, (V, u64)>, u64);

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent(Mutex::new((HashMap::new(), 0)))
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Recent<K, V> {
    fn locked(&self) -> std::sync::MutexGuard<'_, Stamped<K, V>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let mut kept = self.locked();
        let (values, clock) = &mut *kept;
        *clock += 1;
        let (value, used) = values.get_mut(key)?;
        *used = *clock;
        Some(value.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut kept = self.locked();
        let (values, clock) = &mut *kept;
        if values.len() >= KEPT
            && let Some(oldest) = values
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| key.clone())
        {
            values.remove(&oldest);
        }
        *clock += 1;
        values.insert(key, (value, *clock));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locked().0.len()
    }
}

/// The documents of one server, shared by every request.
#[derive(Default)]
pub struct Documents {
    /// Texts without a string: a frontend's, shared by every caller.
    parsed: Recent<String, Arc<Parsed>>,
    /// Queries with a string, each held for its sender only, apart from
    /// the shared texts so that they cannot push those out (their
    /// validations share `validated` with everyone's).
    own: Recent<(CallerKey, String), Arc<Parsed>>,
    validated: Recent<Asked, ValidationResult>,
}

/// Where a text is held, if anywhere.
enum Held {
    Shared,
    /// For this caller only.
    Own(CallerKey),
    Not,
}

impl Held {
    /// Where a text would be held, before it is parsed. A text with a
    /// string in it may carry an ID number or a name written in place of a
    /// variable: it is held only for a signed-in sender, so that its being
    /// held or not tells no one what anyone else sent (and only when it is
    /// nothing but queries: `keeps`). Frontends send variables, so their
    /// texts have none, repeat and are shared; a script or a screen that
    /// writes its arguments in place repeats its own.
    fn of(text: &str, caller: Option<CallerKey>) -> Held {
        if text.len() > LONGEST_KEPT {
            Held::Not
        } else if !text.contains('"') {
            Held::Shared
        } else {
            match caller {
                Some(CallerKey::Address(_)) | None => Held::Not,
                Some(caller) => Held::Own(caller),
            }
        }
    }

    /// Whether a parsed text is held where `of` placed it. A mutation's or
    /// a subscription's strings may be a password or the values it writes:
    /// they are held nowhere longer than the request.
    fn keeps(&self, only_queries: bool) -> bool {
        match self {
            Held::Shared => true,
            Held::Own(_) => only_queries,
            Held::Not => false,
        }
    }
}

impl Documents {
    /// `text` bounded and parsed, from the cache when `caller` (or, for a
    /// text without strings, anyone) sent it before. Refusals are not
    /// kept: they cost the sender, not the server.
    pub fn parse(
        &self,
        text: &str,
        limits: &Bounds,
        caller: Option<CallerKey>,
    ) -> Result<Arc<Parsed>, Refused> {
        let held = Held::of(text, caller);
        let found = match &held {
            Held::Shared => self.parsed.get(text),
            Held::Own(caller) => self.own.get(&(caller.clone(), text.to_owned())),
            Held::Not => None,
        };
        if let Some(parsed) = found {
            return Ok(parsed);
        }
        bounds::scan(text, limits).map_err(|err| Refused::TooBig(err.0))?;
        let document =
            async_graphql::parser::parse_query(text).map_err(|err| Refused::Parse(err.into()))?;
        bounds::expand(&document, limits).map_err(|err| Refused::TooBig(err.0))?;
        let roots = bounds::root_names(&document);
        let only_queries = roots.iter().all(|(kind, _)| *kind == OperationType::Query);
        let kept = held.keeps(only_queries);
        let parsed = Arc::new(Parsed {
            roots,
            document,
            kept,
            only_queries,
        });
        match held {
            Held::Shared => self.parsed.put(text.to_owned(), parsed.clone()),
            Held::Own(caller) if kept => self.own.put((caller, text.to_owned()), parsed.clone()),
            _ => {}
        }
        Ok(parsed)
    }

    /// How `caller`'s operation would be known again, if it is worth
    /// keeping: its document is kept, it holds nothing but queries (a
    /// mutation's variables may be a password, and the validation's key
    /// holds them), and its variables are short.
    pub fn asked(
        &self,
        parsed: &Arc<Parsed>,
        operation: Option<&str>,
        variables: &Variables,
        caller: CallerKey,
    ) -> Option<Asked> {
        if !parsed.kept || !parsed.only_queries {
            return None;
        }
        let variables = serde_json::to_string(variables).ok()?;
        (variables.len() <= LONGEST_VARIABLES).then(|| Asked {
            parsed: parsed.clone(),
            operation: operation.map(str::to_owned),
            variables,
            caller,
        })
    }

    /// What validating `asked` gave the last time it passed.
    pub fn validated(&self, asked: &Asked) -> Option<ValidationResult> {
        self.validated.get(asked)
    }

    /// Keeps what validating `asked` gave; only a pass is worth keeping.
    pub fn passed(&self, asked: Asked, result: ValidationResult) {
        self.validated.put(asked, result);
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
        sent_by(documents, text, None)
    }

    fn sent_by(documents: &Documents, text: &str, caller: Option<CallerKey>) -> Arc<Parsed> {
        documents
            .parse(text, &limits(), caller)
            .ok()
            .expect("parses")
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
        assert_eq!(documents.parsed.len(), KEPT);
        assert!(Arc::ptr_eq(&first, &parsed(&documents, "{ me { id } }")));
        // Sent once and not since: it went, and is parsed anew.
        let oldest = oldest.expect("one kept");
        assert!(!Arc::ptr_eq(
            &oldest,
            &parsed(&documents, "{ a0: me { id } }")
        ));
    }

    #[test]
    fn refusals_are_not_kept() {
        let documents = Documents::default();
        assert!(matches!(
            documents.parse("{ me { ", &limits(), Some(CallerKey::User(1))),
            Err(Refused::Parse(_))
        ));
        assert!(
            documents
                .parse(&"{ a }".repeat(300), &limits(), None)
                .is_err()
        );
        assert_eq!((documents.parsed.len(), documents.own.len()), (0, 0));
    }

    #[test]
    fn a_query_with_a_string_is_kept_for_its_sender_only() {
        let documents = Documents::default();
        let text = r#"{ resident(idNumber: "42050219900101001X") { id } }"#;
        let first = sent_by(&documents, text, Some(CallerKey::User(1)));
        assert!(Arc::ptr_eq(
            &first,
            &sent_by(&documents, text, Some(CallerKey::User(1)))
        ));
        assert_eq!((documents.parsed.len(), documents.own.len()), (0, 1));
        for other in [
            Some(CallerKey::User(2)),
            Some(CallerKey::Token(1)),
            Some(CallerKey::Address(None)),
            None,
        ] {
            assert!(
                !Arc::ptr_eq(&first, &sent_by(&documents, text, other.clone())),
                "{other:?} is not given what user 1 sent"
            );
        }
        assert_eq!(
            documents.own.len(),
            3,
            "kept for each signed-in sender, for no one signed out"
        );
    }

    #[test]
    fn a_mutation_or_subscription_with_a_string_is_never_kept() {
        let documents = Documents::default();
        for text in [
            r#"mutation { login(input: {username: "admin", password: "secret"}) { session { accessToken } } }"#,
            r#"subscription { caseChanged(area: "420502") { id } }"#,
            r#"query Me { me { id } } mutation Out { logout(input: {refreshToken: "r"}) { ok } }"#,
        ] {
            let first = sent_by(&documents, text, Some(CallerKey::User(1)));
            assert!(!Arc::ptr_eq(
                &first,
                &sent_by(&documents, text, Some(CallerKey::User(1)))
            ));
        }
        assert_eq!((documents.parsed.len(), documents.own.len()), (0, 0));
    }

    #[test]
    fn a_validation_is_found_again_only_by_the_same_caller_with_the_same_values() {
        let documents = Documents::default();
        let text = "query($c: String) { residents(filter: {within: $c}) { totalCount } }";
        let doc = parsed(&documents, text);
        let variables = |code: &str| Variables::from_json(serde_json::json!({ "c": code }));
        let asked = |code: &str, caller: i64| {
            documents
                .asked(&doc, None, &variables(code), CallerKey::User(caller))
                .expect("worth keeping")
        };
        let result = ValidationResult {
            cache_control: Default::default(),
            complexity: 7,
            depth: 3,
        };
        assert!(documents.validated(&asked("420502", 1)).is_none());
        documents.passed(asked("420502", 1), result);
        let found = documents.validated(&asked("420502", 1)).expect("kept");
        assert_eq!((found.complexity, found.depth), (7, 3));
        assert!(
            documents.validated(&asked("420503", 1)).is_none(),
            "other values"
        );
        assert!(
            documents.validated(&asked("420502", 2)).is_none(),
            "another caller"
        );
        let other = parsed(&documents, "{ me { id } }");
        assert!(
            documents
                .validated(
                    &documents
                        .asked(&other, None, &variables("420502"), CallerKey::User(1))
                        .expect("worth keeping")
                )
                .is_none(),
            "another document"
        );
        let long = "4".repeat(LONGEST_VARIABLES);
        assert!(
            documents
                .asked(&doc, None, &variables(&long), CallerKey::User(1))
                .is_none(),
            "long variables are not held"
        );
        let signing_in = "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { session { accessToken } } }";
        let login = parsed(&documents, signing_in);
        let password = Variables::from_json(serde_json::json!({ "u": "admin", "p": "secret" }));
        assert!(
            documents
                .asked(&login, None, &password, CallerKey::User(1))
                .is_none(),
            "a mutation's variables are not held"
        );
        let quoted = r#"{ resident(idNumber: "42050219900101001X") { id } }"#;
        let signed_out = parsed(&documents, quoted);
        assert!(
            documents
                .asked(&signed_out, None, &Variables::default(), CallerKey::User(1))
                .is_none(),
            "a text with a string parsed for no one is not held"
        );
        let own = sent_by(&documents, quoted, Some(CallerKey::User(1)));
        assert!(
            documents
                .asked(&own, None, &Variables::default(), CallerKey::User(1))
                .is_some(),
            "its sender's is"
        );
    }
}
