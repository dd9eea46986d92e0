//! The business registry CSV: read row by row, normalise handles, check each row.
//!
//! Header: `key,name,category,district,instagram,tiktok,facebook,youtube` (any order,
//! any case; only `key` and `name` are required). UTF-8 with or without BOM; comma,
//! semicolon (Excel in the Indonesian locale) or tab separated; quoted fields.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use crate::platform::Platform;

/// One business as the registry describes it, handles already normalised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Business {
    pub key: String,
    pub name: String,
    pub category: Option<String>,
    pub district: Option<String>,
    /// Normalised handle per platform, in [`Platform::ALL`] order.
    pub handles: Vec<(Platform, String)>,
}

impl Business {
    pub fn handle(&self, platform: Platform) -> Option<&str> {
        self.handles
            .iter()
            .find(|(p, _)| *p == platform)
            .map(|(_, h)| h.as_str())
    }
}

/// A data row that cannot be imported, with its line in the file (1 = header).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvalidRow {
    pub line: u64,
    pub reason: String,
}

/// One data row of a registry file: a business, or why the row cannot be one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Valid { line: u64, business: Business },
    Invalid(InvalidRow),
}

/// How a required column may be named in Bahasa Indonesia, for the error that misses it.
fn indonesian(column: &str) -> &'static str {
    match column {
        "key" => " (or `kode`)",
        "name" => " (or `nama`)",
        _ => "",
    }
}

/// Problems with the file as a whole (the header), as opposed to single rows.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("the file is empty: expected a header line `{}`", HEADER.join(","))]
    Empty,
    #[error("line 1: the header has no `{0}` column{alias} (expected `{header}`)", alias = indonesian(.0), header = HEADER.join(","))]
    MissingColumn(&'static str),
    #[error("line 1: unknown column `{0}` (expected columns: {header}; or kode, nama, kategori, kecamatan)", header = HEADER.join(", "))]
    UnknownColumn(String),
    #[error("line 1: column `{0}` appears twice")]
    DuplicateColumn(String),
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    #[error(
        "the file is {0}, not UTF-8: save it as \"CSV UTF-8 (Comma delimited)\" and import it again"
    )]
    Encoding(&'static str),
    #[error("cannot read the file: {0}")]
    Unreadable(String),
}

/// The registry columns, in the documented order.
pub const HEADER: [&str; 8] = [
    "key",
    "name",
    "category",
    "district",
    "instagram",
    "tiktok",
    "facebook",
    "youtube",
];

/// Guesses the separator from the header line: the most frequent of `,` `;` and tab.
fn sniff_delimiter(data: &[u8]) -> u8 {
    let header = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    // Reversed, so that a tie (none at all, too) goes to the comma.
    [b'\t', b';', b',']
        .into_iter()
        .max_by_key(|d| header.iter().filter(|b| *b == d).count())
        .unwrap_or(b',')
}

/// The rows of a registry file, read one at a time: memory does not grow with the file.
/// Checks each row on its own; what rows say of each other (a key or a handle twice, a
/// handle the database gives another business) is checked where they are staged, in
/// [`crate::store::Store::import_registry`].
pub struct Reader<R: Read> {
    records: csv::ByteRecordsIntoIter<Lf<Source<R>>>,
    columns: HashMap<&'static str, usize>,
    width: usize,
    delimiter: u8,
}

/// The first line, read ahead to find the separator, then the rest of the input.
type Source<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, BufReader<R>>;

/// How much of the first line is read to find the separator.
const HEAD_MAX: u64 = 64 * 1024;

/// Reads the header of a registry file (UTF-8 with or without BOM; `,` `;` or tab).
pub fn reader<R: Read>(input: R) -> Result<Reader<R>, RegistryError> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let mut head = Vec::new();
    // Up to the first line that is not blank: the header.
    let mut line_start = 0;
    loop {
        let read = (&mut input)
            .take(HEAD_MAX)
            .read_until(b'\n', &mut head)
            .map_err(|e| RegistryError::Unreadable(e.to_string()))?;
        if line_start == 0 {
            if head.starts_with(b"\xEF\xBB\xBF") {
                head.drain(..3);
            }
            if let Some(encoding) = not_utf8(&head) {
                return Err(RegistryError::Encoding(encoding));
            }
        }
        let blank = head[line_start..].iter().all(u8::is_ascii_whitespace);
        if read == 0 || !blank || head.len() as u64 >= HEAD_MAX {
            break;
        }
        line_start = head.len();
    }
    let delimiter = sniff_delimiter(&head[line_start..]);
    let source = std::io::Cursor::new(head).chain(input);
    let mut records = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(Lf {
            inner: source,
            cr: false,
        })
        .into_byte_records();
    let header = loop {
        match records.next() {
            None => return Err(RegistryError::Empty),
            Some(Err(e)) => {
                let (line, message) = csv_problem(&e);
                return Err(RegistryError::Csv { line, message });
            }
            Some(Ok(h)) if is_blank(&h) => continue,
            Some(Ok(h)) => break h,
        }
    };
    Ok(Reader {
        columns: header_columns(&header)?,
        width: header.len(),
        delimiter,
        records,
    })
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            let record = match self.records.next()? {
                Ok(r) => r,
                Err(e) => {
                    let (line, reason) = csv_problem(&e);
                    return Some(Row::Invalid(InvalidRow { line, reason }));
                }
            };
            let line = record.position().map_or(0, csv::Position::line);
            if is_blank(&record) {
                continue; // blank rows, or Excel's trailing `;;;;;;;`
            }
            if record.len() > self.width {
                let reason = format!(
                    "{} fields, but the header has {} (a separator inside a name needs quotes)",
                    record.len(),
                    self.width
                );
                return Some(Row::Invalid(InvalidRow { line, reason }));
            }
            // A quote opened and never closed swallows the rows after it into one cell.
            if record
                .iter()
                .any(|f| f.contains(&b'\n') && f.contains(&self.delimiter))
            {
                let reason = "a quote (\") opened in this row is never closed, so the rows \
                              after it were read as one cell"
                    .to_string();
                return Some(Row::Invalid(InvalidRow { line, reason }));
            }
            return Some(match parse_row(&record, &self.columns) {
                Ok(business) => Row::Valid { line, business },
                Err(reason) => Row::Invalid(InvalidRow { line, reason }),
            });
        }
    }
}

fn is_blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace))
}

/// Every row of a registry held in memory (tests, the demo's generated registry).
pub fn parse(data: &[u8]) -> Result<Vec<Row>, RegistryError> {
    Ok(reader(data)?.collect())
}

fn csv_problem(e: &csv::Error) -> (u64, String) {
    (
        e.position().map_or(0, csv::Position::line),
        format!("unreadable CSV: {e}"),
    )
}

/// CRLF read as LF, so that the CSV reader's line count names the line a row starts on
/// (after a CRLF it counted the `\n` as part of the next row). A lone CR stays.
struct Lf<R> {
    inner: R,
    /// A CR was read and what follows it is not known yet.
    cr: bool,
}

impl<R: BufRead> Read for Lf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                if self.cr && !out.is_empty() {
                    self.cr = false;
                    out[0] = b'\r';
                    return Ok(1);
                }
                return Ok(0);
            }
            let (mut used, mut n) = (0, 0);
            while used < buf.len() && n < out.len() {
                let b = buf[used];
                if std::mem::take(&mut self.cr) && b != b'\n' {
                    out[n] = b'\r';
                    n += 1;
                    continue; // `b` is looked at again
                }
                used += 1;
                if b == b'\r' {
                    self.cr = true;
                } else {
                    out[n] = b;
                    n += 1;
                }
            }
            self.inner.consume(used);
            // Only a CR was consumed: read on rather than signal the end.
            if n > 0 || out.is_empty() {
                return Ok(n);
            }
        }
    }
}

/// The column a header names: its English name, or its name in Bahasa Indonesia as
/// a coordinator's spreadsheet may have it.
fn column(name: &str) -> Option<&'static str> {
    let english = match name {
        "kode" | "kunci" => "key",
        "nama" | "nama usaha" | "nama_usaha" => "name",
        "kategori" | "jenis usaha" | "jenis_usaha" => "category",
        "kecamatan" => "district",
        other => other,
    };
    HEADER.iter().copied().find(|h| *h == english)
}

/// The encoding of a file's first line when it is plainly not UTF-8: a UTF-16 byte-order
/// mark, NUL bytes between the letters (UTF-16 without one), or bytes that no UTF-8
/// text holds (a legacy code page such as Windows-1252).
fn not_utf8(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") || head.contains(&0) {
        return Some("UTF-16");
    }
    // A header of column names: a multi-byte character cut at the read-ahead's end is
    // not what fails here.
    match std::str::from_utf8(head) {
        Err(e) if e.error_len().is_some() => Some("in a legacy encoding (Windows-1252 or similar)"),
        _ => None,
    }
}

/// Index of each known column in the header.
fn header_columns(header: &csv::ByteRecord) -> Result<HashMap<&'static str, usize>, RegistryError> {
    let mut columns = HashMap::new();
    for (i, raw) in header.iter().enumerate() {
        let name = String::from_utf8_lossy(raw).trim().to_lowercase();
        if name.is_empty() && i >= HEADER.len() {
            continue; // trailing separators
        }
        let Some(known) = column(&name) else {
            return Err(RegistryError::UnknownColumn(name));
        };
        if columns.insert(known, i).is_some() {
            return Err(RegistryError::DuplicateColumn(name));
        }
    }
    for required in ["key", "name"] {
        if !columns.contains_key(required) {
            return Err(RegistryError::MissingColumn(required));
        }
    }
    Ok(columns)
}

fn parse_row(
    record: &csv::ByteRecord,
    columns: &HashMap<&'static str, usize>,
) -> Result<Business, String> {
    let field = |name: &str| -> Result<Option<String>, String> {
        let Some(&i) = columns.get(name) else {
            return Ok(None);
        };
        let raw = record.get(i).unwrap_or(b"");
        let text = std::str::from_utf8(raw).map_err(|_| {
            format!("column `{name}` is not valid UTF-8 (save the file as \"CSV UTF-8\")")
        })?;
        let text = text.trim();
        // `'=…` is how jempol's own CSV (and spreadsheets) keep a formula-like cell text.
        let text = match text.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
            _ => text,
        };
        let max = max_chars(name);
        let len = text.chars().count();
        if len > max {
            return Err(format!(
                "column `{name}` is {len} characters long, at most {max} are taken \
                 (a caption or several cells pasted into one?)"
            ));
        }
        Ok((!text.is_empty()).then(|| text.to_string()))
    };
    let key = field("key")?.ok_or("the `key` is empty")?;
    let name = field("name")?.ok_or("the `name` is empty")?;
    if key.chars().any(char::is_control) {
        return Err(format!("the key {key:?} contains control characters"));
    }
    let mut handles = Vec::new();
    let mut problems = Vec::new();
    for platform in Platform::ALL {
        if let Some(raw) = field(platform.as_str())? {
            match normalize_handle(platform, &raw) {
                Ok(h) => handles.push((platform, h)),
                Err(reason) => problems.push(format!("{platform} {raw:?}: {reason}")),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(Business {
        key,
        name,
        category: field("category")?,
        district: field("district")?,
        handles,
    })
}

/// The longest text a registry column takes: generous for real names and profile links,
/// and far below what a mistaken paste (a caption, a whole sheet) puts into a cell.
fn max_chars(column: &str) -> usize {
    match column {
        "key" => 64,
        "name" => 200,
        "category" | "district" => 100,
        _ => 300, // handles and profile links
    }
}

/// Returns the part of `raw` after a known host (`https://www.instagram.com/...` →
/// `...`), or `None` when `raw` is not a URL of one of `hosts`.
fn url_path<'a>(raw: &'a str, hosts: &[&str]) -> Option<&'a str> {
    let lower = raw.to_ascii_lowercase();
    let without_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let offset = raw.len() - without_scheme.len();
    for prefix in ["www.", "m.", "web.", ""] {
        for host in hosts {
            let full = format!("{prefix}{host}/");
            if without_scheme.starts_with(&full) {
                return Some(&raw[offset + full.len()..]);
            }
        }
    }
    None
}

/// First path segment, without query or fragment.
fn first_segment(path: &str) -> &str {
    path.split(['/', '?', '#']).next().unwrap_or("")
}

fn check_chars(
    handle: &str,
    allowed: impl Fn(char) -> bool,
    min: usize,
    max: usize,
) -> Result<(), String> {
    let len = handle.chars().count();
    if len < min || len > max {
        return Err(format!("must be {min} to {max} characters long"));
    }
    if let Some(bad) = handle.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "contains {bad:?}, which handles on this platform cannot"
        ));
    }
    Ok(())
}

/// Normalises a handle as people write it in a spreadsheet into the form jempol stores:
/// - Instagram, TikTok: lower-case username without `@` (`@Dendeng.UniLis`, profile URLs);
/// - Facebook: numeric page id, or lower-case username (`facebook.com/name`,
///   `profile.php?id=…`);
/// - YouTube: a `UC…` channel id (case kept) or a lower-case `@handle`.
pub fn normalize_handle(platform: Platform, raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let username = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_';
    match platform {
        Platform::Instagram => {
            let h = url_path(raw, &["instagram.com"]).map_or(raw, first_segment);
            let h = h.strip_prefix('@').unwrap_or(h).to_lowercase();
            check_chars(&h, username, 1, 30)?;
            Ok(h)
        }
        Platform::Tiktok => {
            let h = url_path(raw, &["tiktok.com"]).map_or(raw, first_segment);
            let h = h.strip_prefix('@').unwrap_or(h).to_lowercase();
            check_chars(&h, username, 2, 24)?;
            Ok(h)
        }
        Platform::Facebook => {
            let h = match url_path(raw, &["facebook.com", "fb.com"]) {
                Some(path) if path.to_ascii_lowercase().starts_with("profile.php") => path
                    .split(['?', '&'])
                    .find_map(|kv| kv.strip_prefix("id="))
                    .ok_or("a profile.php link without id=")?,
                // facebook.com/people/Name/1000123 → the numeric id
                Some(path) if path.to_ascii_lowercase().starts_with("people/") => {
                    path.split('/').nth(2).unwrap_or("")
                }
                Some(path) => first_segment(path),
                None => raw,
            };
            let h = h.strip_prefix('@').unwrap_or(h).to_lowercase();
            if h.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() {
                return Ok(h);
            }
            check_chars(&h, |c| c.is_ascii_alphanumeric() || c == '.', 5, 50)?;
            Ok(h)
        }
        Platform::Youtube => {
            let h = match url_path(raw, &["youtube.com"]) {
                Some(path) => match path.split_once('/') {
                    Some((kind, rest)) if kind.eq_ignore_ascii_case("channel") => {
                        first_segment(rest)
                    }
                    _ => first_segment(path),
                },
                None => raw,
            };
            if let Some(id) = h.strip_prefix("UC") {
                let id_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
                // Real ids are UC + 22 characters; platform-apis.md's examples are longer
                // (UCdendengUniLis00000000007), so accept a tolerant range.
                if (16..=40).contains(&id.len()) && id.chars().all(id_char) {
                    return Ok(h.to_string());
                }
                if !h.starts_with('@') {
                    return Err("a channel id is UC followed by 22 letters, digits, - or _".into());
                }
            }
            let Some(handle) = h.strip_prefix('@') else {
                return Err("use an @handle or a UC… channel id".into());
            };
            let handle = handle.to_lowercase();
            check_chars(
                &handle,
                |c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '·'),
                3,
                30,
            )?;
            Ok(format!("@{handle}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instagram_handles_from_urls_and_at_signs() {
        for raw in [
            "@Dendeng.UniLis",
            "dendeng.unilis",
            "https://www.instagram.com/dendeng.unilis/",
            "instagram.com/Dendeng.UniLis?igsh=abc",
        ] {
            assert_eq!(
                normalize_handle(Platform::Instagram, raw).unwrap(),
                "dendeng.unilis"
            );
        }
        assert!(normalize_handle(Platform::Instagram, "dendeng unilis").is_err());
        assert!(normalize_handle(Platform::Instagram, &"a".repeat(31)).is_err());
    }

    #[test]
    fn tiktok_handles() {
        assert_eq!(
            normalize_handle(
                Platform::Tiktok,
                "https://www.tiktok.com/@DendengUniLis?lang=id"
            )
            .unwrap(),
            "dendengunilis"
        );
        assert!(normalize_handle(Platform::Tiktok, "x").is_err());
    }

    #[test]
    fn facebook_ids_usernames_and_profile_links() {
        assert_eq!(
            normalize_handle(Platform::Facebook, "102000000000007").unwrap(),
            "102000000000007"
        );
        assert_eq!(
            normalize_handle(
                Platform::Facebook,
                "https://web.facebook.com/DendengUniLis/"
            )
            .unwrap(),
            "dendengunilis"
        );
        assert_eq!(
            normalize_handle(
                Platform::Facebook,
                "https://www.facebook.com/profile.php?id=1000123"
            )
            .unwrap(),
            "1000123"
        );
        assert_eq!(
            normalize_handle(Platform::Facebook, "facebook.com/people/Uni-Lis/100064").unwrap(),
            "100064"
        );
        assert!(normalize_handle(Platform::Facebook, "abc").is_err());
    }

    #[test]
    fn youtube_channel_ids_keep_case_and_handles_get_an_at() {
        let id = "UCdendengUniLis000000000";
        assert_eq!(id.len(), 24);
        let reference_example = "UCdendengUniLis00000000007";
        assert_eq!(
            normalize_handle(Platform::Youtube, reference_example).unwrap(),
            reference_example
        );
        assert_eq!(normalize_handle(Platform::Youtube, id).unwrap(), id);
        assert_eq!(
            normalize_handle(
                Platform::Youtube,
                &format!("https://www.youtube.com/channel/{id}")
            )
            .unwrap(),
            id
        );
        assert_eq!(
            normalize_handle(Platform::Youtube, "https://youtube.com/@DendengUniLis").unwrap(),
            "@dendengunilis"
        );
        assert_eq!(
            normalize_handle(Platform::Youtube, "@dendengunilis").unwrap(),
            "@dendengunilis"
        );
        assert!(normalize_handle(Platform::Youtube, "dendengunilis").is_err());
        assert!(normalize_handle(Platform::Youtube, "UCshort").is_err());
    }

    #[test]
    fn semicolon_is_detected_from_the_header() {
        assert_eq!(sniff_delimiter(b"key;name;category\n1;a,b;c"), b';');
        assert_eq!(sniff_delimiter(b"key,name\n"), b',');
        assert_eq!(sniff_delimiter(b"key\tname\tcategory\n"), b'\t');
    }

    fn lines_of_bad_rows(data: &[u8]) -> Vec<u64> {
        reader(data)
            .unwrap()
            .filter_map(|r| match r {
                Row::Invalid(bad) => Some(bad.line),
                Row::Valid { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_bad_row_is_named_by_the_line_it_starts_on_whatever_the_line_ends() {
        for eol in ["\n", "\r\n"] {
            let file = [
                "",
                "key,name",
                "A,Satu",
                "B,\"Dua",
                "baris dua\"",
                ",tanpa kunci",
                "C,Tiga",
            ]
            .join(eol);
            assert_eq!(lines_of_bad_rows(file.as_bytes()), [6], "{eol:?}");
        }
        // Read in one-byte pieces, a CR at the end of each piece still joins its LF.
        let slow = std::io::BufReader::with_capacity(1, &b"key,name\r\nA,Satu\r\n,x\r\n"[..]);
        let lf = Lf {
            inner: slow,
            cr: false,
        };
        let rows: Vec<Row> = reader(lf).unwrap().collect();
        assert!(
            matches!(&rows[1], Row::Invalid(bad) if bad.line == 3),
            "{rows:?}"
        );
    }
}
