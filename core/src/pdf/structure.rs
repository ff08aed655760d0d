//! The logical structure of a tagged PDF (PDF 1.7, 14.7–14.8): a tree of
//! structure elements (Document, H1, P, Table, TR, TH, TD …) in reading
//! order, whose leaves point at the marked content of the pages. The
//! renderers build it while they draw; the writer turns it into the
//! `StructTreeRoot`, the elements and the parent tree.

use std::fmt::Write as _;

/// A structure element's place in [`Structure::elems`].
pub(crate) type ElemId = usize;

/// What an element holds: other elements, or marked content on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kid {
    Elem(ElemId),
    /// Marked content `mcid` of page `page` (0-based).
    Content {
        page: usize,
        mcid: usize,
    },
}

/// One structure element.
#[derive(Debug, Clone)]
pub(crate) struct Elem {
    /// The standard structure type: `Document`, `H1`, `P`, `Table`, `TR`, `TH`, `TD`, `L`, `LI`.
    pub role: &'static str,
    pub parent: Option<ElemId>,
    pub kids: Vec<Kid>,
    /// A header cell's scope: `Column` (the default) or `Row`.
    pub row_header: bool,
}

/// The document's structure tree: element 0 is the `Document`.
#[derive(Debug, Clone)]
pub(crate) struct Structure {
    pub elems: Vec<Elem>,
    /// The document's language, e.g. `de-DE`.
    pub lang: &'static str,
}

impl Structure {
    pub(crate) fn new(lang: &'static str) -> Structure {
        Structure { elems: vec![Elem { role: "Document", parent: None, kids: Vec::new(), row_header: false }], lang }
    }

    /// A new element of `role` as the last child of `parent`.
    pub(crate) fn add(&mut self, parent: ElemId, role: &'static str) -> ElemId {
        let id = self.elems.len();
        self.elems.push(Elem { role, parent: Some(parent), kids: Vec::new(), row_header: false });
        if let Some(p) = self.elems.get_mut(parent) {
            p.kids.push(Kid::Elem(id));
        }
        id
    }

    /// Makes a header cell head its row instead of its column.
    pub(crate) fn heads_row(&mut self, elem: ElemId) {
        if let Some(e) = self.elems.get_mut(elem) {
            e.row_header = true;
        }
    }

    /// Records that marked content `mcid` of `page` belongs to `elem`.
    pub(crate) fn content(&mut self, elem: ElemId, page: usize, mcid: usize) {
        if let Some(e) = self.elems.get_mut(elem) {
            e.kids.push(Kid::Content { page, mcid });
        }
    }

    /// The objects of the tree, given the first free object number and the
    /// pages' object numbers and how many marked contents each has: returns
    /// the objects to write (number, body) and the root's number.
    pub(crate) fn objects(
        &self,
        first: usize,
        pages: &[usize],
        marks: &[Vec<ElemId>],
    ) -> (Vec<(usize, String)>, usize) {
        let root = first;
        let parent_tree = first + 1;
        let number = |e: ElemId| first + 2 + e;
        let mut out = Vec::new();
        // An element's page (`/Pg`) is that of its first content: content on
        // it is a bare MCID, content on other pages a marked-content reference.
        let first_page = |e: &Elem| {
            e.kids.iter().find_map(|k| match k {
                Kid::Content { page, .. } => Some(*page),
                Kid::Elem(_) => None,
            })
        };
        let kids = |e: &Elem| -> String {
            let home = first_page(e);
            let mut k = String::new();
            for kid in &e.kids {
                match kid {
                    // Empty cells stay: each row has as many cells as the header.
                    Kid::Elem(c) => {
                        let _ = write!(k, " {} 0 R", number(*c));
                    }
                    Kid::Content { page, mcid } if Some(*page) == home => {
                        let _ = write!(k, " {mcid}");
                    }
                    Kid::Content { page, mcid } => {
                        let _ = write!(k, " << /Type /MCR /Pg {} 0 R /MCID {mcid} >>", pages[*page]);
                    }
                }
            }
            k
        };
        out.push((
            root,
            format!(
                "<< /Type /StructTreeRoot /K [{} 0 R] /ParentTree {parent_tree} 0 R /ParentTreeNextKey {} >>",
                number(0),
                pages.len()
            ),
        ));
        let mut nums = String::new();
        for (page, elems) in marks.iter().enumerate() {
            let refs: Vec<String> = elems.iter().map(|e| format!("{} 0 R", number(*e))).collect();
            let _ = write!(nums, " {page} [{}]", refs.join(" "));
        }
        out.push((parent_tree, format!("<< /Nums [{nums} ] >>")));
        for (i, e) in self.elems.iter().enumerate() {
            let parent = e.parent.map_or(root, number);
            let attrs = match (e.role, e.row_header) {
                ("TH", false) => " /A << /O /Table /Scope /Column >>",
                ("TH", true) => " /A << /O /Table /Scope /Row >>",
                _ => "",
            };
            let pg = first_page(e).map(|p| format!(" /Pg {} 0 R", pages[p])).unwrap_or_default();
            out.push((number(i), format!("<< /S /{} /P {parent} 0 R{pg}{attrs} /K [{} ] >>", e.role, kids(e))));
        }
        (out, root)
    }

    /// How many objects [`Structure::objects`] writes.
    pub(crate) fn object_count(&self) -> usize {
        2 + self.elems.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_becomes_elements_with_their_content_and_a_parent_tree() {
        let mut s = Structure::new("de-DE");
        let h = s.add(0, "H1");
        let table = s.add(0, "Table");
        let tr = s.add(table, "TR");
        let th = s.add(tr, "TH");
        let empty = s.add(tr, "TD");
        s.content(h, 0, 0);
        s.content(th, 0, 1);
        let (objects, root) = s.objects(10, &[3], &[vec![h, th]]);
        assert_eq!(root, 10);
        assert_eq!(objects.len(), s.object_count());
        let text: String = objects.iter().map(|(n, b)| format!("{n}: {b}\n")).collect();
        assert!(
            text.contains("10: << /Type /StructTreeRoot /K [12 0 R] /ParentTree 11 0 R /ParentTreeNextKey 1 >>"),
            "{text}"
        );
        assert!(text.contains("11: << /Nums [ 0 [13 0 R 16 0 R] ] >>"), "{text}");
        assert!(text.contains("13: << /S /H1 /P 12 0 R /Pg 3 0 R /K [ 0 ] >>"), "{text}");
        assert!(text.contains("/S /TH /P 15 0 R /Pg 3 0 R /A << /O /Table /Scope /Column >>"), "{text}");
        assert!(text.contains("15: << /S /TR /P 14 0 R /K [ 16 0 R 17 0 R ] >>"), "{text}");
        assert!(
            text.contains(&format!("{}: << /S /TD /P 15 0 R /K [ ] >>", 12 + empty)),
            "an empty cell stays: {text}"
        );
        // Content on a second page is a marked-content reference.
        s.content(h, 1, 0);
        let (objects, _) = s.objects(10, &[3, 4], &[vec![h, th], vec![h]]);
        let text: String = objects.iter().map(|(n, b)| format!("{n}: {b}\n")).collect();
        assert!(
            text.contains("13: << /S /H1 /P 12 0 R /Pg 3 0 R /K [ 0 << /Type /MCR /Pg 4 0 R /MCID 0 >> ] >>"),
            "{text}"
        );
    }
}
