//! Mutation answers: the changed object, or what the person filling the form
//! can put right.
//!
//! Every mutation returns a payload with the object(s) it changed and
//! `userErrors`, each naming the input field at fault (by its path from the
//! mutation's arguments) and a code from its family's enum. Whatever is not
//! the user's to fix (UNAUTHENTICATED, FORBIDDEN, the limits, UNAVAILABLE,
//! INTERNAL) stays a top-level error with its `extensions.code`.

use async_graphql::{Enum, SimpleObject};

use crate::error::{ApiError, ApiResult, Fault, UserFault};

/// Splits a write's outcome into what it changed or the user's errors;
/// any other error is the request's.
pub fn settle<T, E: From<UserFault>>(
    outcome: ApiResult<T>,
) -> Result<(Option<T>, Vec<E>), ApiError> {
    match outcome {
        Ok(changed) => Ok((Some(changed), Vec::new())),
        Err(err) => Ok((None, vec![E::from(err.into_user_fault()?)])),
    }
}

/// One code enum and one user error type per family of mutations, each
/// code described once here. A fault a family does not name is `INVALID`,
/// which every family has.
macro_rules! error_family {
    ($(#[$meta:meta])* $code:ident, $error:ident, [$($variant:ident),+ $(,)?]) => {
        error_family!(@enum [$(#[$meta])*] $code [] $($variant)+);

        impl From<Fault> for $code {
            #[allow(unreachable_patterns)]
            fn from(fault: Fault) -> $code {
                match fault {
                    $(Fault::$variant => $code::$variant,)+
                    _ => $code::Invalid,
                }
            }
        }

        #[doc = concat!("Something the user can put right, coded by `", stringify!($code), "`.")]
        #[derive(SimpleObject, Debug)]
        pub struct $error {
            /// The path of the input field at fault, from the mutation's
            /// arguments (`["input", "idNumber"]`); null when no one field is.
            pub field: Option<Vec<String>>,
            /// What is wrong, for a person to read.
            pub message: String,
            /// Why, as a code a client can branch on.
            pub code: $code,
        }

        impl From<UserFault> for $error {
            fn from(fault: UserFault) -> $error {
                $error {
                    field: fault.field,
                    message: fault.message,
                    code: fault.fault.into(),
                }
            }
        }
    };
    (@enum [$($meta:tt)*] $code:ident [$($done:tt)*] Invalid $($rest:ident)*) => {
        error_family!(@enum [$($meta)*] $code [$($done)*
            /// A value is not valid for its field.
            Invalid,] $($rest)*);
    };
    (@enum [$($meta:tt)*] $code:ident [$($done:tt)*] Required $($rest:ident)*) => {
        error_family!(@enum [$($meta)*] $code [$($done)*
            /// A field that must be given here is missing.
            Required,] $($rest)*);
    };
    (@enum [$($meta:tt)*] $code:ident [$($done:tt)*] Taken $($rest:ident)*) => {
        error_family!(@enum [$($meta)*] $code [$($done)*
            /// A value that must be unique is already in use.
            Taken,] $($rest)*);
    };
    (@enum [$($meta:tt)*] $code:ident [$($done:tt)*] NotFound $($rest:ident)*) => {
        error_family!(@enum [$($meta)*] $code [$($done)*
            /// The object named (or referred to) does not exist, or not where
            /// you can see it.
            NotFound,] $($rest)*);
    };
    (@enum [$($meta:tt)*] $code:ident [$($done:tt)*] Conflict $($rest:ident)*) => {
        error_family!(@enum [$($meta)*] $code [$($done)*
            /// The object changed since it was read at `version`: read it
            /// again and redo the change.
            Conflict,] $($rest)*);
    };
    (@enum [$($meta:tt)*] $code:ident [$($done:tt)*] InvalidState $($rest:ident)*) => {
        error_family!(@enum [$($meta)*] $code [$($done)*
            /// The object's state does not allow this change.
            InvalidState,] $($rest)*);
    };
    (@enum [$($meta:tt)*] $code:ident [$($done:tt)*] NothingToChange $($rest:ident)*) => {
        error_family!(@enum [$($meta)*] $code [$($done)*
            /// The input would change nothing.
            NothingToChange,] $($rest)*);
    };
    (@enum [$($meta:tt)*] $code:ident [$($done:tt)*]) => {
        $($meta)*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $code {
            $($done)*
        }
    };
}

error_family!(
    /// Why a registry file could not be imported.
    RegistryErrorCode,
    RegistryUserError,
    [Invalid, Required]
);
error_family!(
    /// Why a comparison could not be started.
    ComparisonErrorCode,
    ComparisonUserError,
    [Invalid, InvalidState]
);
error_family!(
    /// Why a step on a finding could not be taken.
    FindingErrorCode,
    FindingUserError,
    [Invalid, Required, NotFound, Conflict, InvalidState]
);
error_family!(
    /// Why a sign-in, refresh or sign-out could not be done as asked.
    SessionErrorCode,
    SessionUserError,
    [Invalid, Required]
);
error_family!(
    /// Why a change to the population record could not be made.
    ResidentErrorCode,
    ResidentUserError,
    [
        Invalid,
        Required,
        Taken,
        NotFound,
        Conflict,
        InvalidState,
        NothingToChange
    ]
);
error_family!(
    /// Why a change to a household, building, dwelling or organisation could
    /// not be made.
    HomeErrorCode,
    HomeUserError,
    [
        Invalid,
        Required,
        Taken,
        NotFound,
        Conflict,
        InvalidState,
        NothingToChange
    ]
);
error_family!(
    /// Why a case could not be reported or moved, or a calendar day set.
    CaseErrorCode,
    CaseUserError,
    [Invalid, Required, NotFound, Conflict, InvalidState]
);
error_family!(
    /// Why a task could not be sent or an assignment answered.
    TaskErrorCode,
    TaskUserError,
    [Invalid, Required, NotFound, Conflict, InvalidState]
);
error_family!(
    /// Why a visit could not be recorded, or an interval of the schedule
    /// set.
    VisitErrorCode,
    VisitUserError,
    [Invalid, Required, NotFound, Conflict]
);
error_family!(
    /// Why a policy change (an edit, a set of them, a rollback) could not be
    /// made.
    PolicyErrorCode,
    PolicyUserError,
    [Invalid, Required, Taken, NotFound, Conflict]
);
error_family!(
    /// Why an API token could not be issued or revoked.
    ApiTokenErrorCode,
    ApiTokenUserError,
    [Invalid, Required, NotFound]
);

/// A mutation's payload: the object it changed (null when it changed
/// nothing) and the user's errors (empty when it succeeded).
macro_rules! payload {
    ($(#[$meta:meta])* $name:ident { $(#[$field_meta:meta])* $field:ident: $ty:ty }, $error:ident) => {
        $(#[$meta])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            $(#[$field_meta])*
            pub $field: Option<$ty>,
            /// What the user can put right; empty when the change was made.
            pub user_errors: Vec<$error>,
        }

        impl $name {
            /// The payload of a write's outcome; errors that are not the
            /// user's stay the request's.
            pub fn of(
                outcome: $crate::error::ApiResult<$ty>,
            ) -> Result<$name, $crate::error::ApiError> {
                let ($field, user_errors) = $crate::graphql::payload::settle(outcome)?;
                Ok($name { $field, user_errors })
            }
        }
    };
}
pub(super) use payload;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_fault_names_its_field_by_path_and_keeps_its_code() {
        let (changed, errors): (Option<()>, Vec<TaskUserError>) =
            settle(Err(ApiError::required("targets.areas", "give one"))).expect("the user's");
        assert!(changed.is_none());
        assert_eq!(
            errors[0].field.as_deref(),
            Some(&["input".to_owned(), "targets".to_owned(), "areas".to_owned()][..])
        );
        assert_eq!(errors[0].code, TaskErrorCode::Required);
        assert_eq!(errors[0].message, "give one");
    }

    #[test]
    fn a_stale_version_is_the_users_and_a_refusal_is_not() {
        let (_, errors): (Option<()>, Vec<CaseUserError>) =
            settle(Err(ApiError::conflict("read again"))).expect("the user's");
        assert_eq!(errors[0].code, CaseErrorCode::Conflict);
        assert_eq!(
            errors[0].field.as_deref(),
            Some(&["input".to_owned(), "version".to_owned()][..])
        );
        let refused: Result<(Option<()>, Vec<CaseUserError>), _> =
            settle(Err(ApiError::unauthenticated()));
        assert!(matches!(refused, Err(ApiError::Unauthenticated(_))));
    }

    #[test]
    fn a_conflict_on_a_related_object_names_the_input_that_reached_it() {
        let stale_household =
            ApiError::conflict("read again").conflict_on("householdId", "household");
        let (_, errors): (Option<()>, Vec<ResidentUserError>) =
            settle(Err(stale_household)).expect("the user's");
        assert_eq!(errors[0].code, ResidentErrorCode::Conflict);
        assert_eq!(
            errors[0].field.as_deref(),
            Some(&["input".to_owned(), "householdId".to_owned()][..])
        );
    }

    #[test]
    fn a_fault_outside_a_family_is_invalid() {
        assert_eq!(
            ApiTokenErrorCode::from(Fault::Conflict),
            ApiTokenErrorCode::Invalid
        );
        assert_eq!(
            ApiTokenErrorCode::from(Fault::NotFound),
            ApiTokenErrorCode::NotFound
        );
    }
}
