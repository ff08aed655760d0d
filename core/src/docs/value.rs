//! Plain JSON-shaped values in and out of an Automerge document.
//!
//! Domain types go through `serde_json::Value` on their way in and out:
//! objects become maps, arrays become lists, strings, numbers, booleans and
//! null become scalars. Writing is a *reconcile*: only fields whose value
//! differs are written, so one user action is one small change (the
//! whole-document re-send trap in `automerge-measured.md` comes from big
//! commits). Strings are plain scalars (last writer wins, the loser kept as a
//! concurrent value), not collaborative text: our fields are short values
//! such as a phone number, where a character merge would produce nonsense.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Number, Value as Json};

use super::DocError;

/// Deepest nesting accepted when reading a document (ours are 4 deep).
const MAX_DEPTH: usize = 16;

fn scalar_of(v: &Json) -> Option<ScalarValue> {
    Some(match v {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64().unwrap_or_default())
            }
        }
        Json::Array(_) | Json::Object(_) => return None,
    })
}

fn json_of_scalar(s: &ScalarValue) -> Result<Json, DocError> {
    Ok(match s {
        ScalarValue::Null => Json::Null,
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Int(i) => Json::Number((*i).into()),
        ScalarValue::Uint(u) => Json::Number((*u).into()),
        ScalarValue::Counter(c) => Json::Number(i64::from(c).into()),
        ScalarValue::Timestamp(t) => Json::Number((*t).into()),
        ScalarValue::F64(f) => Number::from_f64(*f).map(Json::Number).ok_or(DocError::Shape("a non-finite number"))?,
        ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } => return Err(DocError::Shape("a binary value")),
    })
}

/// Whether the scalar stored at `prop` equals `v` (the same type and value).
fn same_scalar(doc: &AutoCommit, obj: &ObjId, prop: Prop, v: &ScalarValue) -> Result<bool, DocError> {
    Ok(match doc.get(obj, prop)? {
        Some((Value::Scalar(s), _)) => s.as_ref() == v,
        _ => false,
    })
}

/// The object stored at `prop` if it has type `ty`.
fn child_of(doc: &AutoCommit, obj: &ObjId, prop: Prop, ty: ObjType) -> Result<Option<ObjId>, DocError> {
    Ok(match doc.get(obj, prop)? {
        Some((Value::Object(t), id)) if t == ty => Some(id),
        _ => None,
    })
}

/// Makes the map `obj` hold exactly the fields of `new`, writing only what differs.
pub(crate) fn reconcile_map(doc: &mut AutoCommit, obj: &ObjId, new: &Map<String, Json>) -> Result<(), DocError> {
    let stale: Vec<String> = doc.keys(obj).filter(|k| !new.contains_key(k)).collect();
    for k in stale {
        doc.delete(obj, k.as_str())?;
    }
    for (k, v) in new {
        reconcile_at(doc, obj, Prop::Map(k.clone()), v)?;
    }
    Ok(())
}

fn reconcile_list(doc: &mut AutoCommit, obj: &ObjId, new: &[Json]) -> Result<(), DocError> {
    let old_len = doc.length(obj);
    for i in (new.len()..old_len).rev() {
        doc.delete(obj, i)?;
    }
    for (i, v) in new.iter().enumerate() {
        if i < old_len {
            reconcile_at(doc, obj, Prop::Seq(i), v)?;
        } else {
            match v {
                Json::Object(m) => {
                    let child = doc.insert_object(obj, i, ObjType::Map)?;
                    reconcile_map(doc, &child, m)?;
                }
                Json::Array(a) => {
                    let child = doc.insert_object(obj, i, ObjType::List)?;
                    reconcile_list(doc, &child, a)?;
                }
                scalar => doc.insert(obj, i, scalar_of(scalar).unwrap_or(ScalarValue::Null))?,
            }
        }
    }
    Ok(())
}

fn reconcile_at(doc: &mut AutoCommit, obj: &ObjId, prop: Prop, v: &Json) -> Result<(), DocError> {
    match v {
        Json::Object(m) => {
            let child = match child_of(doc, obj, prop.clone(), ObjType::Map)? {
                Some(c) => c,
                None => doc.put_object(obj, prop, ObjType::Map)?,
            };
            reconcile_map(doc, &child, m)
        }
        Json::Array(a) => {
            let child = match child_of(doc, obj, prop.clone(), ObjType::List)? {
                Some(c) => c,
                None => doc.put_object(obj, prop, ObjType::List)?,
            };
            reconcile_list(doc, &child, a)
        }
        scalar => {
            let s = scalar_of(scalar).unwrap_or(ScalarValue::Null);
            if !same_scalar(doc, obj, prop.clone(), &s)? {
                doc.put(obj, prop, s)?;
            }
            Ok(())
        }
    }
}

/// Reads the object `obj` as JSON (the value each field resolves to).
pub(crate) fn hydrate(doc: &AutoCommit, obj: &ObjId) -> Result<Json, DocError> {
    hydrate_obj(doc, obj, 0)
}

fn hydrate_value(doc: &AutoCommit, v: Value<'_>, id: &ObjId, depth: usize) -> Result<Json, DocError> {
    match v {
        Value::Scalar(s) => json_of_scalar(&s),
        Value::Object(_) => hydrate_obj(doc, id, depth + 1),
    }
}

fn hydrate_obj(doc: &AutoCommit, obj: &ObjId, depth: usize) -> Result<Json, DocError> {
    if depth > MAX_DEPTH {
        return Err(DocError::Shape("objects nested too deep"));
    }
    match doc.object_type(obj)? {
        ObjType::Map | ObjType::Table => {
            let mut out = Map::new();
            for k in doc.keys(obj).collect::<Vec<_>>() {
                if let Some((v, id)) = doc.get(obj, k.as_str())? {
                    out.insert(k, hydrate_value(doc, v, &id, depth)?);
                }
            }
            Ok(Json::Object(out))
        }
        ObjType::List => {
            let mut out = Vec::new();
            for i in 0..doc.length(obj) {
                if let Some((v, id)) = doc.get(obj, i)? {
                    out.push(hydrate_value(doc, v, &id, depth)?);
                }
            }
            Ok(Json::Array(out))
        }
        ObjType::Text => Ok(Json::String(doc.text(obj)?)),
    }
}

/// A field holding more than one value after a merge of concurrent edits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FieldConflict {
    /// Path of the field inside the record, e.g. `lines/0/qty` or `contacts/<id>/phone`.
    pub path: String,
    /// Every concurrent value, the one that counts first.
    pub values: Vec<ConflictValue>,
}

/// One of a field's concurrent values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ConflictValue {
    /// The value as JSON text (`"12"`, `"+49 89 1234"`, `null`, or an object).
    pub value: String,
    /// The device that wrote it.
    pub device_id: String,
}

/// Every field of `obj` (recursively) with concurrent values. Values equal
/// to the winner are dropped, so two devices writing the same value is no conflict.
pub(crate) fn conflicts(doc: &AutoCommit, device_of: &dyn Fn(&automerge::ActorId) -> String) -> Vec<FieldConflict> {
    let mut out = Vec::new();
    collect(doc, &automerge::ROOT, String::new(), 0, device_of, &mut out);
    out
}

fn collect(
    doc: &AutoCommit,
    obj: &ObjId,
    path: String,
    depth: usize,
    device_of: &dyn Fn(&automerge::ActorId) -> String,
    out: &mut Vec<FieldConflict>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let props: Vec<Prop> = match doc.object_type(obj) {
        Ok(ObjType::Map | ObjType::Table) => doc.keys(obj).map(Prop::Map).collect(),
        Ok(ObjType::List) => (0..doc.length(obj)).map(Prop::Seq).collect(),
        _ => return,
    };
    for prop in props {
        let name = match &prop {
            Prop::Map(k) => k.clone(),
            Prop::Seq(i) => i.to_string(),
        };
        let here = if path.is_empty() { name } else { format!("{path}/{name}") };
        let Ok(all) = doc.get_all(obj, prop) else { continue };
        // `get` returns the last of `get_all`: list the winner first.
        let mut values: Vec<ConflictValue> = all
            .iter()
            .rev()
            .map(|(v, id)| {
                let value = hydrate_value(doc, v.clone(), id, depth).map_or_else(|_| "?".into(), |j| j.to_string());
                let device_id = match id {
                    automerge::ObjId::Id(_, actor, _) => device_of(actor),
                    automerge::ObjId::Root => String::new(),
                };
                ConflictValue { value, device_id }
            })
            .collect();
        if let Some(winner) = values.first().map(|v| v.value.clone()) {
            let mut seen = vec![winner];
            values = values
                .into_iter()
                .enumerate()
                .filter(|(i, v)| {
                    if *i == 0 {
                        return true;
                    }
                    if seen.contains(&v.value) {
                        return false;
                    }
                    seen.push(v.value.clone());
                    true
                })
                .map(|(_, v)| v)
                .collect();
        }
        if values.len() > 1 {
            out.push(FieldConflict { path: here.clone(), values });
        }
        if let Some((Value::Object(_), id)) = all.last() {
            collect(doc, id, here, depth + 1, device_of, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc_with(v: &Json) -> AutoCommit {
        let mut d = AutoCommit::new();
        if let Json::Object(m) = v {
            reconcile_map(&mut d, &automerge::ROOT, m).unwrap_or_else(|e| panic!("{e}"));
        }
        d.commit();
        d
    }

    #[test]
    fn round_trips_nested_values() {
        let v = json!({"a": "x", "n": 3, "b": true, "z": null, "list": [{"q": "1.5"}, {"q": "2"}], "m": {"k": [1, 2]}});
        let d = doc_with(&v);
        assert_eq!(hydrate(&d, &automerge::ROOT).ok(), Some(v));
    }

    #[test]
    fn reconcile_writes_only_what_changed() {
        let v = json!({"name": "Müller", "lines": [{"qty": "10", "sku": "A"}, {"qty": "2", "sku": "B"}]});
        let mut d = doc_with(&v);
        let before = d.get_changes(&[]).len();
        let mut v2 = v.clone();
        v2["lines"][1]["qty"] = json!("3");
        if let Json::Object(m) = &v2 {
            reconcile_map(&mut d, &automerge::ROOT, m).unwrap_or_else(|e| panic!("{e}"));
        }
        d.commit();
        let changes = d.get_changes(&[]);
        assert_eq!(changes.len(), before + 1);
        let last = changes.last().map(|c| c.len()).unwrap_or_default();
        assert_eq!(last, 1, "one operation for one changed field");
        // Nothing changed: no operation at all.
        if let Json::Object(m) = &v2 {
            reconcile_map(&mut d, &automerge::ROOT, m).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(d.commit().is_none());
        assert_eq!(hydrate(&d, &automerge::ROOT).ok(), Some(v2));
    }

    #[test]
    fn concurrent_writes_are_reported_with_their_devices() {
        let base = json!({"qty": "1", "same": "x"});
        let mut a = doc_with(&base).with_actor(automerge::ActorId::from(vec![1u8; 16]));
        let mut b = a.fork().with_actor(automerge::ActorId::from(vec![2u8; 16]));
        a.put(automerge::ROOT, "qty", "10").unwrap_or_else(|e| panic!("{e}"));
        a.put(automerge::ROOT, "same", "y").unwrap_or_else(|e| panic!("{e}"));
        b.put(automerge::ROOT, "qty", "12").unwrap_or_else(|e| panic!("{e}"));
        b.put(automerge::ROOT, "same", "y").unwrap_or_else(|e| panic!("{e}"));
        a.merge(&mut b).unwrap_or_else(|e| panic!("{e}"));
        let who = |actor: &automerge::ActorId| actor.to_hex_string()[..2].to_string();
        let c = conflicts(&a, &who);
        assert_eq!(c.len(), 1, "equal concurrent values are no conflict: {c:?}");
        assert_eq!(c[0].path, "qty");
        // The higher actor wins, deterministically; the loser stays visible.
        assert_eq!(c[0].values[0], ConflictValue { value: "\"12\"".into(), device_id: "02".into() });
        assert_eq!(c[0].values[1], ConflictValue { value: "\"10\"".into(), device_id: "01".into() });
        assert_eq!(hydrate(&a, &automerge::ROOT).ok().and_then(|v| v.get("qty").cloned()), Some(json!("12")));
    }
}
