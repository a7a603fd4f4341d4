//! Parameter changes that name only what they change, each against the value it expects.
//!
//! A proposal is voted days before it executes, and several may be in flight at once. If a
//! parameter action carried the whole parameter struct, an older proposal executed after a
//! newer one would silently put back every value the newer one changed. So an action
//! carries two sparse copies of the struct: `expected` (the values it was written
//! against) and `change` (the new values), naming the same fields. Fields it does not
//! name are left as they stand, so proposals about different fields compose; a field
//! somebody else changed in the meantime refuses the action, so a stale proposal fails
//! loudly instead of reverting a newer decision.

/// Emits `$change`: every field of `$params` as an `Option`, and
/// `$change::apply(params, expected, change)`, which returns the changed struct or
/// refuses with `$stale` (a named field no longer holds its expected value) or `$invalid`
/// (nothing named, or a field named in one copy only). Invoke it in a program's
/// `state.rs`, listing the fields of `$params` with their types. Each type is one token
/// tree (`u64`, `Pubkey`, `[u8; 32]`): Anchor's IDL builder reads the struct's tokens and
/// does not see through a `ty` fragment's invisible group.
#[macro_export]
macro_rules! params_change_type {
    (
        $(#[$meta:meta])*
        $change:ident for $params:ident, refused with $stale:expr, $invalid:expr;
        { $($(#[$field_meta:meta])* $field:ident : $ty:tt),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
        pub struct $change {
            $($(#[$field_meta])* pub $field: Option<$ty>,)+
        }

        impl $change {
            /// `params` with `change` applied, every named field first checked against
            /// `expected`. The caller validates the result as a whole.
            pub fn apply(params: &$params, expected: &Self, change: &Self) -> Result<$params> {
                let mut next = params.clone();
                let mut named = false;
                $(
                    match (&expected.$field, &change.$field) {
                        (None, None) => {}
                        (Some(was), Some(now)) => {
                            if params.$field != *was {
                                return Err($stale.into());
                            }
                            next.$field = now.clone();
                            named = true;
                        }
                        _ => return Err($invalid.into()),
                    }
                )+
                if !named {
                    return Err($invalid.into());
                }
                Ok(next)
            }

            /// The `(expected, change)` pair that turns `from` into `to`: only the fields
            /// that differ are named.
            pub fn between(from: &$params, to: &$params) -> (Self, Self) {
                // Exhaustive on purpose: a field added to the parameters and not to the
                // change type fails to compile here instead of becoming unchangeable.
                let $params { $($field: _),+ } = from;
                let mut expected = Self::default();
                let mut change = Self::default();
                $(
                    if from.$field != to.$field {
                        expected.$field = Some(from.$field.clone());
                        change.$field = Some(to.$field.clone());
                    }
                )+
                (expected, change)
            }

            /// Each field `change` names, as `field: expected -> new`, for people reading
            /// a proposal (off-chain only).
            #[cfg(not(target_os = "solana"))]
            pub fn describe(expected: &Self, change: &Self) -> Vec<String> {
                let mut out = Vec::new();
                $(
                    if let Some(now) = &change.$field {
                        let was = expected.$field.as_ref().map_or_else(|| "?".to_string(), |was| format!("{was:?}"));
                        out.push(format!("{}: {} -> {:?}", stringify!($field), was, now));
                    }
                )+
                out
            }
        }
    };
}
