//! Shared readings of mutation inputs: optional fields as patches, and
//! references by global ID as keys.

use async_graphql::{ID, MaybeUndefined};

use super::relay::{NodeKind, key_of};
use crate::domain::writes::Patch;

/// An optional input field as a patch: absent keeps, null clears.
pub fn patch<T, U>(value: MaybeUndefined<T>, convert: impl FnOnce(T) -> U) -> Patch<U> {
    match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(value) => Patch::Set(convert(value)),
    }
}

/// An optional reference field as a patch of the referenced key.
pub fn patch_key(
    field: &str,
    value: MaybeUndefined<ID>,
    kind: NodeKind,
) -> crate::error::ApiResult<Patch<i64>> {
    Ok(match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(id) => Patch::Set(key_of(field, &id, kind)?),
    })
}

pub fn optional_key(
    field: &str,
    id: Option<&ID>,
    kind: NodeKind,
) -> crate::error::ApiResult<Option<i64>> {
    id.map(|id| key_of(field, id, kind)).transpose()
}
