//! Which fields this build knows, per record (ADR 28): a write deletes only
//! fields it knows and left out, so a field a newer app added to a record
//! survives when an app one release behind edits it.
//!
//! The field names come from the records' own `Deserialize` (serde passes
//! a struct's field list to `deserialize_struct`), so they stay true as
//! fields are added; nothing is listed by hand but which child holds which
//! record.

use std::sync::OnceLock;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::account::{Account, Address, Contact, MarketingConsent, VatConfirmation};
use crate::activity::Activity;
use crate::quote::{Approval, DiscountRequest, Order, Quote, QuoteLine};

/// What a write knows of one JSON value in a document.
#[derive(Debug)]
pub(crate) enum Known {
    /// Free-form (attribute maps, scalars, lists of scalars): the record
    /// says all there is, absent keys are deleted.
    Any,
    /// A record: absent keys among `fields` are deleted, others kept;
    /// `children` say what a field holds.
    Struct { fields: &'static [&'static str], children: Vec<(&'static str, Known)> },
    /// A map from ids to one kind of record (absent ids are deleted).
    MapOf(Box<Known>),
    /// A list of one kind of record, whose items are the same record while
    /// these fields are equal (a quote line: its SKU and name). An item
    /// whose identity changed at an index (a line deleted before it) is
    /// written anew, so fields only a newer app knows stay with their line.
    ListOf(Box<Known>, &'static [&'static str]),
}

const ANY: Known = Known::Any;

impl Known {
    /// What the field `key` of this value holds.
    pub(crate) fn child(&self, key: &str) -> &Known {
        match self {
            Known::Struct { children, .. } => children.iter().find(|(k, _)| *k == key).map_or(&ANY, |(_, c)| c),
            Known::MapOf(item) => item,
            Known::Any | Known::ListOf(..) => &ANY,
        }
    }

    /// What the items of this list are.
    pub(crate) fn item(&self) -> &Known {
        match self {
            Known::ListOf(item, _) => item,
            _ => &ANY,
        }
    }

    /// Whether `old` and `new`, items of this list, are one record.
    pub(crate) fn same_item(&self, old: &serde_json::Value, new: &serde_json::Value) -> bool {
        match self {
            Known::ListOf(_, identity) if !identity.is_empty() => identity.iter().all(|k| old.get(k) == new.get(k)),
            _ => true,
        }
    }

    /// Whether a write that leaves `key` out deletes it.
    pub(crate) fn deletes(&self, key: &str) -> bool {
        match self {
            Known::Struct { fields, .. } => fields.contains(&key),
            Known::Any | Known::MapOf(_) | Known::ListOf(..) => true,
        }
    }
}

/// Captures the field list serde hands to `deserialize_struct`.
struct Probe<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(de::Error::custom("probed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The fields of the record `T` as its `Deserialize` names them; `None`
/// for a type that is not a plain struct.
pub(crate) fn fields_of<T: for<'de> Deserialize<'de>>() -> Option<&'static [&'static str]> {
    let mut out = None;
    let _ = T::deserialize(Probe(&mut out));
    out
}

fn record<T: for<'de> Deserialize<'de>>(children: Vec<(&'static str, Known)>) -> Known {
    match fields_of::<T>() {
        Some(fields) => Known::Struct { fields, children },
        // Not a plain struct: the old rule (the record is all there is).
        None => Known::Any,
    }
}

fn address() -> Known {
    record::<Address>(vec![])
}

fn account() -> Known {
    record::<Account>(vec![
        ("billing_address", address()),
        ("shipping_address", address()),
        ("vat_confirmation", record::<VatConfirmation>(vec![])),
    ])
}

fn contact() -> Known {
    record::<Contact>(vec![("consent", record::<MarketingConsent>(vec![]))])
}

fn lines() -> Known {
    Known::ListOf(Box::new(record::<QuoteLine>(vec![])), &["sku", "name"])
}

/// The account document's `account` map.
pub(crate) fn of_account() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(account)
}

/// A contact (in a person document, or in an account document's contacts).
pub(crate) fn of_contact() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(contact)
}

/// A map of contacts by id.
pub(crate) fn of_contacts() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(|| Known::MapOf(Box::new(contact())))
}

/// A map of activities by id.
pub(crate) fn of_activities() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(|| Known::MapOf(Box::new(record::<Activity>(vec![]))))
}

/// A discount request.
pub(crate) fn of_discount() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(|| record::<DiscountRequest>(vec![]))
}

/// A quote (without its discount request, which has its own document).
pub(crate) fn of_quote() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(|| record::<Quote>(vec![("lines", lines()), ("approval", record::<Approval>(vec![]))]))
}

/// An attachment.
pub(crate) fn of_attachment() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(|| record::<crate::blob::Attachment>(vec![("file", record::<crate::blob::BlobRef>(vec![]))]))
}

/// An order.
pub(crate) fn of_order() -> &'static Known {
    static K: OnceLock<Known> = OnceLock::new();
    K.get_or_init(|| record::<Order>(vec![("lines", lines())]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_come_from_the_records_themselves() {
        let quote = fields_of::<Quote>().expect("a quote is a plain struct");
        for f in ["id", "lines", "state", "approval", "valid_until"] {
            assert!(quote.contains(&f), "{f} in {quote:?}");
        }
        let line = fields_of::<QuoteLine>().unwrap();
        // Fields serialised only when set are known all the same.
        assert!(line.contains(&"position") && line.contains(&"chosen"), "{line:?}");
        assert!(fields_of::<Account>().unwrap().contains(&"vat_confirmation"));
        assert!(fields_of::<String>().is_none());
        let q = of_quote();
        assert!(q.deletes("valid_until") && !q.deletes("added_by_a_newer_app"));
        assert!(q.child("lines").item().deletes("qty") && !q.child("lines").item().deletes("colour"));
        assert!(of_account().child("attributes").deletes("anything"), "attributes are free-form");
    }
}
