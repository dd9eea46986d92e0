//! One table, three ways: the HTML of a page, a CSV download in either dialect (Excel in
//! the Indonesian locale: `;`, decimal comma, BOM; or RFC 4180), and an XLSX workbook.
//! Every dashboard table is built once as a [`Table`], so a download holds exactly what
//! the page shows. Unknown is an empty cell (`?` on the page), never 0; text a
//! spreadsheet could read as a formula is neutralised in CSV and written as text in XLSX.

use crate::report::html::esc;
use crate::report::labels::number;
use crate::report::neutral;

/// A cell.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    /// Text that links somewhere on the page (plain text in downloads).
    Link {
        text: String,
        href: String,
    },
    Int(Option<i64>),
    /// A fraction shown as a percentage (engagement rate).
    Percent(Option<f64>),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn opt_text(s: Option<&str>) -> Cell {
        Cell::Text(s.unwrap_or_default().to_string())
    }

    fn numeric(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Percent(_))
    }
}

/// A table with its column headings.
#[derive(Debug, Clone)]
pub struct Table {
    /// The download's file name, without extension.
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    /// Excel in the Indonesian locale.
    CsvExcel,
    /// RFC 4180.
    Csv,
    Xlsx,
}

impl Download {
    pub fn from_query(v: Option<&str>) -> Option<Download> {
        match v? {
            "csv" => Some(Download::CsvExcel),
            "csv-rfc" => Some(Download::Csv),
            "xlsx" => Some(Download::Xlsx),
            _ => None,
        }
    }
}

impl Table {
    /// The table as HTML (`numeric` cells right-aligned; unknown as `?`).
    pub fn html(&self, lang: super::pages::Lang, id: &str) -> String {
        let rl = lang.report();
        let mut out = format!("<div class=\"scroll\"><table id=\"{id}\"><thead><tr>");
        for c in &self.columns {
            out.push_str(&format!("<th>{}</th>", esc(c)));
        }
        out.push_str("</tr></thead><tbody>");
        if self.rows.is_empty() {
            out.push_str(&format!(
                "<tr><td colspan=\"{}\" class=\"muted\">{}</td></tr>",
                self.columns.len().max(1),
                lang.t("Tidak ada baris.", "No rows.")
            ));
        }
        let unknown = lang.t("tidak dilaporkan", "not reported");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                let class = if cell.numeric() { " class=\"num\"" } else { "" };
                let inner = match cell {
                    Cell::Text(t) => esc(t),
                    Cell::Link { text, href } => {
                        format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
                    }
                    Cell::Int(Some(n)) => number(*n, rl),
                    Cell::Percent(Some(f)) => crate::report::labels::percent(Some(*f), rl),
                    Cell::Int(None) | Cell::Percent(None) => {
                        format!("<span title=\"{unknown}\">?</span>")
                    }
                };
                out.push_str(&format!("<td{class}>{inner}</td>"));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></div>");
        out
    }

    /// The table as CSV.
    pub fn csv(&self, excel: bool) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .delimiter(if excel { b';' } else { b',' })
            .from_writer(Vec::new());
        let _ = w.write_record(self.columns.iter().map(|c| neutral::csv_text(c)));
        for row in &self.rows {
            let cells = row.iter().map(|c| match c {
                Cell::Text(t) | Cell::Link { text: t, .. } => neutral::csv_text(t),
                Cell::Int(n) => n.map(|n| n.to_string()).unwrap_or_default(),
                Cell::Percent(f) => f
                    .map(|f| {
                        let t = format!("{f:.6}");
                        if excel { t.replace('.', ",") } else { t }
                    })
                    .unwrap_or_default(),
            });
            let _ = w.write_record(cells);
        }
        let body = w.into_inner().unwrap_or_default();
        if excel {
            let mut out = "\u{FEFF}".as_bytes().to_vec();
            out.extend(body);
            out
        } else {
            body
        }
    }

    /// The table as an XLSX workbook of one sheet.
    pub fn xlsx(&self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let bold = Format::new().set_bold();
        let pct = Format::new().set_num_format("0.00%");
        for (c, h) in self.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    // Strings are never formulas in XLSX: no neutralising needed.
                    Cell::Text(t) | Cell::Link { text: t, .. } => {
                        sheet.write_string(r, c, t)?;
                    }
                    Cell::Int(Some(n)) => {
                        sheet.write_number(r, c, *n as f64)?;
                    }
                    Cell::Percent(Some(f)) => {
                        sheet.write_number_with_format(r, c, *f, &pct)?;
                    }
                    Cell::Int(None) | Cell::Percent(None) => {}
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        book.save_to_buffer()
    }

    /// The download response.
    pub fn download(&self, how: Download) -> axum::response::Response {
        use axum::http::{HeaderValue, StatusCode, header};
        use axum::response::IntoResponse;
        let (body, kind, ext) = match how {
            Download::CsvExcel => (self.csv(true), "text/csv; charset=utf-8", "csv"),
            Download::Csv => (self.csv(false), "text/csv; charset=utf-8", "csv"),
            Download::Xlsx => match self.xlsx() {
                Ok(b) => (
                    b,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "xlsx",
                ),
                Err(e) => {
                    tracing::error!(error = %e, "dashboard: cannot write a workbook");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            },
        };
        let name: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut r = (StatusCode::OK, body).into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            name: "peringkat".into(),
            columns: vec!["Usaha".into(), "Suka".into(), "Rasio".into()],
            rows: vec![
                vec![
                    Cell::text("=HYPERLINK(\"x\")"),
                    Cell::Int(Some(1200)),
                    Cell::Percent(Some(0.125)),
                ],
                vec![
                    Cell::text("<b>Uni</b>"),
                    Cell::Int(None),
                    Cell::Percent(None),
                ],
            ],
        }
    }

    #[test]
    fn unknown_is_an_empty_cell_in_csv_and_a_question_mark_on_the_page() {
        let t = table();
        let excel = String::from_utf8(t.csv(true)).unwrap();
        assert!(excel.starts_with('\u{FEFF}'));
        assert!(
            excel.contains("'=HYPERLINK(\"\"x\"\")\";1200;0,125000"),
            "{excel}"
        );
        assert!(excel.contains("<b>Uni</b>;;"), "{excel}");
        let rfc = String::from_utf8(t.csv(false)).unwrap();
        assert!(rfc.contains("1200,0.125000"), "{rfc}");
        let html = t.html(super::super::pages::Lang::Id, "t");
        assert!(html.contains("&lt;b&gt;Uni&lt;/b&gt;"));
        assert!(html.contains(">?</span>"));
        assert!(!html.contains("<b>Uni"));
    }

    #[test]
    fn a_workbook_is_a_zip_with_the_sheet() {
        let bytes = table().xlsx().unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
