//! `code_enum!`: one typed home per family of stable codes (decline codes,
//! refusal codes, stored states). Each variant has exactly one code; the
//! enum serializes as that code and refuses any other text, so a code no
//! party knows is an error at the edge, never a silent default.

/// Serde, for the macro's expansion in other crates.
#[doc(hidden)]
pub use serde as __serde;

/// Declares an enum whose variants each map to one stable snake_case code:
/// `ALL`, `code()`, a strict `from_code()`, `Display`, and serde by code.
#[macro_export]
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$( $name::$variant, )+];

            /// The stable code, as stored and sent.
            pub const fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )+
                }
            }

            /// The variant with this exact code; `None` for any other text.
            pub fn from_code(code: &str) -> Option<$name> {
                match code {
                    $( $code => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, formatter: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                formatter.write_str(self.code())
            }
        }

        impl $crate::codes::__serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::codes::__serde::Serializer,
            {
                serializer.serialize_str(self.code())
            }
        }

        impl<'de> $crate::codes::__serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<$name, D::Error>
            where
                D: $crate::codes::__serde::Deserializer<'de>,
            {
                let text = <::std::borrow::Cow<'de, str> as $crate::codes::__serde::Deserialize>::deserialize(deserializer)?;
                $name::from_code(&text).ok_or_else(|| {
                    <D::Error as $crate::codes::__serde::de::Error>::custom(concat!(
                        "not a known ",
                        stringify!($name)
                    ))
                })
            }
        }
    };
}
