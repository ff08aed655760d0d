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
use super::schema::Known;

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

/// The object stored at `prop` if it has type `ty`.
fn child_of(doc: &AutoCommit, obj: &ObjId, prop: Prop, ty: ObjType) -> Result<Option<ObjId>, DocError> {
    Ok(match doc.get(obj, prop)? {
        Some((Value::Object(t), id)) if t == ty => Some(id),
        _ => None,
    })
}

/// Makes the map `obj` hold the fields of `new`, writing only what differs.
/// A field `new` leaves out is deleted when `known` says this build knows
/// it; a field only a newer app knows is kept (ADR 28). The document is
/// read once (hydrated) and compared as JSON, so unchanged parts (most
/// lines of a long quote) cost no lookups at all.
pub(crate) fn reconcile_map(
    doc: &mut AutoCommit,
    obj: &ObjId,
    new: &Map<String, Json>,
    known: &Known,
) -> Result<(), DocError> {
    let current = hydrate(doc, obj)?;
    map_with(doc, obj, current.as_object(), new, known)
}

fn map_with(
    doc: &mut AutoCommit,
    obj: &ObjId,
    old: Option<&Map<String, Json>>,
    new: &Map<String, Json>,
    known: &Known,
) -> Result<(), DocError> {
    if let Some(old) = old {
        for k in old.keys().filter(|k| !new.contains_key(*k) && known.deletes(k)) {
            doc.delete(obj, k.as_str())?;
        }
    }
    for (k, v) in new {
        let prev = old.and_then(|o| o.get(k));
        if prev == Some(v) {
            continue;
        }
        at_with(doc, obj, Prop::Map(k.clone()), prev, v, known.child(k))?;
    }
    Ok(())
}

fn list_with(
    doc: &mut AutoCommit,
    obj: &ObjId,
    old: Option<&Vec<Json>>,
    new: &[Json],
    known: &Known,
) -> Result<(), DocError> {
    let old_len = old.map_or_else(|| doc.length(obj), Vec::len);
    for i in (new.len()..old_len).rev() {
        doc.delete(obj, i)?;
    }
    for (i, v) in new.iter().enumerate() {
        if i < old_len {
            let prev = old.and_then(|o| o.get(i));
            if prev == Some(v) {
                continue;
            }
            match (prev, v) {
                // Another record now at this index: written anew, so what
                // only a newer app knows of the old one does not pass to it.
                (Some(p), Json::Object(m)) if p.is_object() && !known.same_item(p, v) => {
                    let child = doc.put_object(obj, i, ObjType::Map)?;
                    map_with(doc, &child, None, m, known.item())?;
                }
                _ => at_with(doc, obj, Prop::Seq(i), prev, v, known.item())?,
            }
        } else {
            match v {
                Json::Object(m) => {
                    let child = doc.insert_object(obj, i, ObjType::Map)?;
                    map_with(doc, &child, None, m, known.item())?;
                }
                Json::Array(a) => {
                    let child = doc.insert_object(obj, i, ObjType::List)?;
                    list_with(doc, &child, None, a, known.item())?;
                }
                scalar => doc.insert(obj, i, scalar_of(scalar).unwrap_or(ScalarValue::Null))?,
            }
        }
    }
    Ok(())
}

fn at_with(
    doc: &mut AutoCommit,
    obj: &ObjId,
    prop: Prop,
    prev: Option<&Json>,
    v: &Json,
    known: &Known,
) -> Result<(), DocError> {
    match v {
        Json::Object(m) => match child_of(doc, obj, prop.clone(), ObjType::Map)? {
            Some(c) => map_with(doc, &c, prev.and_then(Json::as_object), m, known),
            None => {
                let c = doc.put_object(obj, prop, ObjType::Map)?;
                map_with(doc, &c, None, m, known)
            }
        },
        Json::Array(a) => match child_of(doc, obj, prop.clone(), ObjType::List)? {
            Some(c) => list_with(doc, &c, prev.and_then(Json::as_array), a, known),
            None => {
                let c = doc.put_object(obj, prop, ObjType::List)?;
                list_with(doc, &c, None, a, known)
            }
        },
        scalar => {
            doc.put(obj, prop, scalar_of(scalar).unwrap_or(ScalarValue::Null))?;
            Ok(())
        }
    }
}

/// Puts a scalar at `key` of the map `obj` (superseding every concurrent value).
pub(crate) fn put_scalar(doc: &mut AutoCommit, obj: &ObjId, key: &str, v: &Json) -> Result<(), DocError> {
    doc.put(obj, key, scalar_of(v).unwrap_or(ScalarValue::Null))?;
    Ok(())
}

/// Reads the object `obj` as JSON (the value each field resolves to), in one
/// pass over the document (Automerge's own hydration).
pub(crate) fn hydrate(doc: &AutoCommit, obj: &ObjId) -> Result<Json, DocError> {
    json_of_hydrated(&doc.hydrate(obj, None)?, 0)
}

fn json_of_hydrated(v: &automerge::hydrate::Value, depth: usize) -> Result<Json, DocError> {
    use automerge::hydrate::Value as H;
    if depth > MAX_DEPTH {
        return Err(DocError::Shape("objects nested too deep"));
    }
    Ok(match v {
        H::Scalar(s) => json_of_scalar(s)?,
        H::Map(m) => {
            let mut out = Map::new();
            for (k, mv) in m.iter() {
                out.insert(k.clone(), json_of_hydrated(&mv.value, depth + 1)?);
            }
            Json::Object(out)
        }
        H::List(l) => Json::Array(l.iter().map(|lv| json_of_hydrated(&lv.value, depth + 1)).collect::<Result<_, _>>()?),
        H::Text(t) => Json::String(t.to_string()),
    })
}

/// One value of the document as JSON (for the concurrent-values report).
fn hydrate_value(doc: &AutoCommit, v: Value<'_>, id: &ObjId, depth: usize) -> Result<Json, DocError> {
    match v {
        Value::Scalar(s) => json_of_scalar(&s),
        Value::Object(_) => json_of_hydrated(&doc.hydrate(id, None)?, depth + 1),
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

/// Every field of the document (recursively) with concurrent values. Values
/// equal to the winner are dropped, so two devices writing the same value
/// is no conflict. One hydration finds the conflicted fields; only those are
/// looked up again.
pub(crate) fn conflicts(doc: &AutoCommit, device_of: &dyn Fn(&automerge::ActorId) -> String) -> Vec<FieldConflict> {
    let mut marked = Vec::new();
    if let Ok(tree) = doc.hydrate(automerge::ROOT, None) {
        mark(&tree, &mut Vec::new(), &mut marked, 0);
    }
    let mut out = Vec::new();
    for path in marked {
        let Some((last, parents)) = path.split_last() else { continue };
        let mut obj = automerge::ROOT;
        let mut found = true;
        for p in parents {
            match doc.get(&obj, p.clone()) {
                Ok(Some((Value::Object(_), id))) => obj = id,
                _ => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            continue;
        }
        let Ok(all) = doc.get_all(&obj, last.clone()) else { continue };
        // `get` returns the last of `get_all`: list the winner first.
        let mut values: Vec<ConflictValue> = Vec::new();
        for (v, id) in all.iter().rev() {
            let value = hydrate_value(doc, v.clone(), id, 0).map_or_else(|_| "?".into(), |j| j.to_string());
            if values.iter().any(|x| x.value == value) {
                continue;
            }
            let device_id = match id {
                automerge::ObjId::Id(_, actor, _) => device_of(actor),
                automerge::ObjId::Root => String::new(),
            };
            values.push(ConflictValue { value, device_id });
        }
        if values.len() > 1 {
            let text: Vec<String> = path
                .iter()
                .map(|p| match p {
                    Prop::Map(k) => k.clone(),
                    Prop::Seq(i) => i.to_string(),
                })
                .collect();
            out.push(FieldConflict { path: text.join("/"), values });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn mark(v: &automerge::hydrate::Value, path: &mut Vec<Prop>, out: &mut Vec<Vec<Prop>>, depth: usize) {
    use automerge::hydrate::Value as H;
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        H::Map(m) => {
            for (k, mv) in m.iter() {
                path.push(Prop::Map(k.clone()));
                if mv.conflict {
                    out.push(path.clone());
                }
                mark(&mv.value, path, out, depth + 1);
                path.pop();
            }
        }
        H::List(l) => {
            for (i, lv) in l.iter().enumerate() {
                path.push(Prop::Seq(i));
                if lv.conflict {
                    out.push(path.clone());
                }
                mark(&lv.value, path, out, depth + 1);
                path.pop();
            }
        }
        H::Scalar(_) | H::Text(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc_with(v: &Json) -> AutoCommit {
        let mut d = AutoCommit::new();
        if let Json::Object(m) = v {
            reconcile_map(&mut d, &automerge::ROOT, m, &Known::Any).unwrap_or_else(|e| panic!("{e}"));
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
            reconcile_map(&mut d, &automerge::ROOT, m, &Known::Any).unwrap_or_else(|e| panic!("{e}"));
        }
        d.commit();
        let changes = d.get_changes(&[]);
        assert_eq!(changes.len(), before + 1);
        let last = changes.last().map(|c| c.len()).unwrap_or_default();
        assert_eq!(last, 1, "one operation for one changed field");
        // Nothing changed: no operation at all.
        if let Json::Object(m) = &v2 {
            reconcile_map(&mut d, &automerge::ROOT, m, &Known::Any).unwrap_or_else(|e| panic!("{e}"));
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
