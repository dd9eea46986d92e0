//! Specification of `jempol businesses import` and `list`: the registry of businesses.

mod common;

use common::Workspace;
use jempol::platform::{AccountRef, Counts, Platform, Post};
use jempol::store::Store;

const HEADER: &str = "key,name,category,district,instagram,tiktok,facebook,youtube";

fn businesses(ws: &Workspace) -> Vec<serde_json::Value> {
    let run = ws
        .jempol(&["businesses", "list", "--format", "json"])
        .expect_code(0);
    serde_json::from_str(&run.stdout()).expect("list --format json is JSON")
}

#[test]
fn excel_export_with_bom_semicolons_quotes_and_indonesian_names_imports() {
    let ws = Workspace::new();
    let csv = "\u{feff}key;name;category;district;instagram;tiktok;facebook;youtube\r\n\
               PDG-001;\"Dendeng Batokok \"\"Uni Lis\"\"; Padang\";kuliner;Padang Utara;@Dendeng.UniLis;https://www.tiktok.com/@dendengunilis;https://www.facebook.com/dendengunilis/;https://www.youtube.com/@DendengUniLis\r\n\
               PDG-002;Kripik Balado Mak Étek;kuliner;Nanggalo;;;102000000000007;UCtenunSongket000000000A\r\n\
               PDG-003;Songket Pandai Sikek;kerajinan;Koto Tangah;;;;\r\n";
    ws.write("umkm.csv", csv);
    let run = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    assert!(run.stdout().contains("3 created"), "{}", run.stdout());

    let list = businesses(&ws);
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["name"], "Dendeng Batokok \"Uni Lis\"; Padang");
    assert_eq!(list[0]["instagram"], "dendeng.unilis");
    assert_eq!(list[0]["tiktok"], "dendengunilis");
    assert_eq!(list[0]["facebook"], "dendengunilis");
    assert_eq!(list[0]["youtube"], "@dendengunilis");
    assert_eq!(list[1]["name"], "Kripik Balado Mak Étek");
    assert_eq!(list[1]["facebook"], "102000000000007");
    assert_eq!(list[1]["youtube"], "UCtenunSongket000000000A");
    assert_eq!(list[2]["instagram"], serde_json::Value::Null);
}

#[test]
fn tab_separated_file_with_columns_in_another_order_imports() {
    let ws = Workspace::new();
    ws.write(
        "umkm.tsv",
        "Name\tKey\tInstagram\nSate Mak Syukur\tPDG-9\tsatemaksyukur\n",
    );
    ws.jempol(&["businesses", "import", "umkm.tsv"])
        .expect_code(0);
    let list = businesses(&ws);
    assert_eq!(list[0]["key"], "PDG-9");
    assert_eq!(list[0]["instagram"], "satemaksyukur");
}

#[test]
fn csv_with_one_bad_row_writes_nothing_and_names_every_bad_line() {
    let ws = Workspace::new();
    ws.write(
        "umkm.csv",
        format!(
            "{HEADER}\nPDG-1,Rendang Uni,kuliner,,@rendang.uni,,,\n,Tanpa Kunci,,,,,,\nPDG-3,,,,,,,\nPDG-1,Dua Kali,,,,,,\nPDG-5,Nama,,,bukan handle!,,,\n"
        ),
    );
    let run = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(2);
    let err = run.stderr();
    assert!(err.contains("umkm.csv:3: the `key` is empty"), "{err}");
    assert!(err.contains("umkm.csv:4: the `name` is empty"), "{err}");
    assert!(
        err.contains("umkm.csv:5: duplicate key \"PDG-1\" (first on line 2)"),
        "{err}"
    );
    assert!(
        err.contains("umkm.csv:6: instagram \"bukan handle!\""),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(businesses(&ws).is_empty(), "all or nothing");
}

#[test]
fn a_10_mb_cell_is_refused_on_its_line_without_echoing_it_while_emoji_and_rtl_names_import() {
    let ws = Workspace::new();
    let caption = "Promo rendang 🍛 #UMKMKotaPadangMajuBersama ".repeat(240_000); // ~10 MB
    assert!(caption.len() > 10_000_000);
    ws.write(
        "umkm.csv",
        format!(
            "{HEADER}
PDG-1,Rendang Uni 🍛🔥,kuliner,,@rendang.uni,,,
PDG-2,\"{caption}\",,,,,,
PDG-3,مطعم بادانج,kuliner,,,,,
PDG-4,Kopi,,,{caption},,,
"
        ),
    );
    let run = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(2);
    let err = run.stderr();
    assert!(
        err.contains("umkm.csv:3: column `name` is 10319999 characters long, at most 200"),
        "{}",
        &err[..err.len().min(2_000)]
    );
    assert!(
        err.contains("umkm.csv:5: column `instagram` is"),
        "{}",
        &err[..err.len().min(2_000)]
    );
    assert!(
        err.len() < 2_000,
        "the cell is not echoed: {} bytes of errors",
        err.len()
    );

    let run = ws
        .jempol(&["businesses", "import", "umkm.csv", "--skip-invalid"])
        .expect_code(0);
    assert!(run.stdout().contains("2 created"), "{}", run.stdout());
    let list = businesses(&ws);
    assert_eq!(list[0]["name"], "Rendang Uni 🍛🔥");
    assert_eq!(list[1]["name"], "مطعم بادانج");
}

#[test]
fn skip_invalid_imports_the_valid_rows_and_still_lists_the_rest() {
    let ws = Workspace::new();
    ws.write(
        "umkm.csv",
        format!("{HEADER}\nPDG-1,Rendang Uni,,,,,,\nPDG-2,,,,,,,\n"),
    );
    let run = ws
        .jempol(&["businesses", "import", "umkm.csv", "--skip-invalid"])
        .expect_code(0);
    assert!(run.stderr().contains("umkm.csv:3"), "{}", run.stderr());
    assert!(
        run.stdout().contains("1 invalid row(s) skipped"),
        "{}",
        run.stdout()
    );
    assert_eq!(businesses(&ws).len(), 1);
}

#[test]
fn one_handle_claimed_by_two_businesses_is_refused() {
    let ws = Workspace::new();
    ws.write(
        "umkm.csv",
        format!(
            "{HEADER}\nPDG-1,Satu,,,@sama.saja,,,\nPDG-2,Dua,,,https://instagram.com/Sama.Saja,,,\n"
        ),
    );
    let run = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(2);
    assert!(
        run.stderr().contains(
            "umkm.csv:3: instagram handle \"sama.saja\" is already claimed by \"PDG-1\" on line 2"
        ),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_handle_owned_by_another_business_in_the_database_is_refused() {
    let ws = Workspace::new();
    ws.write("a.csv", format!("{HEADER}\nPDG-1,Satu,,,@milik.satu,,,\n"));
    ws.jempol(&["businesses", "import", "a.csv"]).expect_code(0);
    ws.write("b.csv", format!("{HEADER}\nPDG-2,Dua,,,milik.satu,,,\n"));
    let run = ws.jempol(&["businesses", "import", "b.csv"]).expect_code(2);
    assert!(
        run.stderr()
            .contains("already belongs to business \"PDG-1\" in the database"),
        "{}",
        run.stderr()
    );
}

#[test]
fn reimport_updates_by_key_and_never_duplicates() {
    let ws = Workspace::new();
    ws.write(
        "umkm.csv",
        format!("{HEADER}\nPDG-1,Rendang Uni,kuliner,Padang Barat,@rendang.uni,,,\n"),
    );
    ws.jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    let again = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    assert!(
        again.stdout().contains("0 created, 0 updated, 1 unchanged"),
        "{}",
        again.stdout()
    );

    ws.write(
        "umkm.csv",
        format!("{HEADER}\nPDG-1,Rendang Uni Lis,kuliner,Padang Timur,@rendang.unilis,,,\n"),
    );
    let changed = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    assert!(
        changed.stdout().contains("1 updated"),
        "{}",
        changed.stdout()
    );
    let list = businesses(&ws);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "Rendang Uni Lis");
    assert_eq!(list[0]["district"], "Padang Timur");
    assert_eq!(list[0]["instagram"], "rendang.unilis");
}

#[test]
fn dry_run_validates_without_writing() {
    let ws = Workspace::new();
    ws.write("umkm.csv", format!("{HEADER}\nPDG-1,Rendang Uni,,,,,,\n"));
    ws.jempol(&["businesses", "import", "umkm.csv", "--dry-run"])
        .expect_code(0);
    assert!(businesses(&ws).is_empty());
}

#[test]
fn header_without_a_name_column_is_refused_on_line_1() {
    let ws = Workspace::new();
    ws.write("umkm.csv", "key,kategori\nPDG-1,Kuliner\n");
    let run = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(2);
    assert!(
        run.stderr()
            .contains("line 1: the header has no `name` column"),
        "{}",
        run.stderr()
    );
    ws.write("umkm.csv", "key,nama_toko\nPDG-1,Rendang\n");
    let run = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(2);
    assert!(
        run.stderr().contains("line 1: unknown column `nama_toko`"),
        "{}",
        run.stderr()
    );
}

#[test]
fn list_formats_table_and_csv() {
    let ws = Workspace::new();
    ws.write(
        "umkm.csv",
        format!("{HEADER}\nPDG-1,\"Rendang, Uni\",kuliner,,,,,\n"),
    );
    ws.jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    let table = ws.jempol(&["businesses", "list"]).expect_code(0).stdout();
    assert!(table.lines().next().unwrap().starts_with("key"), "{table}");
    assert!(table.contains("Rendang, Uni"));
    let csv = ws
        .jempol(&["businesses", "list", "--format", "csv"])
        .expect_code(0)
        .stdout();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header.join(","),
        HEADER,
        "list --format csv re-imports as it is"
    );
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[1], "Rendang, Uni");
}

fn post(id: &str, handle: &str) -> Post {
    Post {
        platform: Platform::Instagram,
        id: id.into(),
        account: Some(AccountRef {
            handle: Some(handle.into()),
            ..Default::default()
        }),
        permalink: None,
        caption: Some("#UMKMKotaPadangMajuBersama".into()),
        media_type: Some("IMAGE".into()),
        posted_at: None,
        counts: Counts::default(),
    }
}

#[test]
fn registering_a_discovered_account_attributes_its_earlier_posts() {
    let ws = Workspace::new();
    {
        let mut store = Store::open(&ws.database()).unwrap();
        store
            .record_posts(&[post("179001", "kedai.baru")], 1_763_700_000)
            .unwrap();
    }
    ws.write(
        "umkm.csv",
        format!("{HEADER}\nPDG-7,Kedai Baru,kuliner,,@kedai.baru,,,\n"),
    );
    ws.jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);

    let store = Store::open(&ws.database()).unwrap();
    let key: Option<String> = store
        .connection()
        .query_row(
            "SELECT business_key FROM posts_latest WHERE platform_post_id = '179001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(key.as_deref(), Some("PDG-7"));

    // The business drops that handle: the account and its posts leave the registry.
    drop(store);
    ws.write(
        "umkm.csv",
        format!("{HEADER}\nPDG-7,Kedai Baru,kuliner,,,,,\n"),
    );
    let run = ws
        .jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    assert!(run.stdout().contains("1 released"), "{}", run.stdout());
    let store = Store::open(&ws.database()).unwrap();
    let key: Option<String> = store
        .connection()
        .query_row(
            "SELECT business_key FROM posts_latest WHERE platform_post_id = '179001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(key, None);
}

/// A registry of `rows` businesses, each with a long name and four handles.
fn big_registry(rows: usize) -> String {
    let mut csv = format!("{HEADER}\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "PDG-{i:06},Rendang dan Gulai Uni Lis {i} {},Kuliner,Padang Barat,@uni.lis{i},uni_lis{i},page.{i},@unilis{i}\n",
            "Sedekah Jempol ".repeat(10)
        ));
    }
    csv
}

#[test]
fn a_registry_ten_times_longer_is_imported_in_the_same_memory() {
    let ws = Workspace::new();
    let mut peaks = Vec::new();
    for rows in [4_000, 40_000] {
        let file = ws.write(&format!("umkm-{rows}.csv"), big_registry(rows));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_jempol"));
        cmd.arg("--config")
            .arg(ws.config())
            .args(["businesses", "import"])
            .arg(&file);
        let (out, peak_mb) = common::output_and_peak_mb(cmd);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        peaks.push((
            rows,
            std::fs::metadata(&file).unwrap().len() / 1_000_000,
            peak_mb,
        ));
    }
    assert_eq!(businesses(&ws).len(), 40_000);
    let [(_, _, small), (_, size_mb, large)] = peaks[..] else {
        unreachable!()
    };
    // Held whole (before 2026-12-02), the 10 MB file took 57 MB more than the 1 MB one.
    assert!(size_mb >= 10, "{peaks:?}");
    assert!(
        large <= small + 6,
        "memory grew with the file: {peaks:?} (rows, file MB, peak MB)"
    );
}

#[test]
fn a_missing_file_a_utf16_file_and_a_broken_quote_are_input_errors_named_as_such() {
    let ws = Workspace::new();
    let run = ws
        .jempol(&["businesses", "import", "tidak-ada.csv"])
        .expect_code(2);
    assert!(
        run.stderr().contains("tidak-ada.csv: cannot read the file"),
        "{}",
        run.stderr()
    );

    // Excel's "Unicode Text" and "CSV" of older versions.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "key,name\r\nPDG-1,Satu\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    ws.write("utf16.csv", utf16);
    let run = ws
        .jempol(&["businesses", "import", "utf16.csv"])
        .expect_code(2);
    assert!(
        run.stderr().contains("the file is UTF-16, not UTF-8"),
        "{}",
        run.stderr()
    );
    ws.write("cp1252.csv", b"key,name,kecamatan\nPDG-1,Caf\xe9,Padang\n");
    let run = ws
        .jempol(&["businesses", "import", "cp1252.csv"])
        .expect_code(2);
    assert!(
        run.stderr()
            .contains("cp1252.csv:2: column `name` is not valid UTF-8"),
        "{}",
        run.stderr()
    );

    ws.write(
        "kutip.csv",
        format!("{HEADER}\nPDG-1,\"Rendang Uni,,,,,,\nPDG-2,Dua,,,,,,\nPDG-3,Tiga,,,,,,\n"),
    );
    let run = ws
        .jempol(&["businesses", "import", "kutip.csv"])
        .expect_code(2);
    assert!(
        run.stderr()
            .contains("kutip.csv:2: a quote (\") opened in this row is never closed"),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("empty"), "{}", run.stderr());
}

#[test]
fn a_header_in_bahasa_indonesia_imports() {
    let ws = Workspace::new();
    ws.write(
        "umkm.csv",
        "Kode;Nama;Kategori;Kecamatan;Instagram\nPDG-1;Rendang Uni;Kuliner;Padang Barat;@uni.lis\n",
    );
    ws.jempol(&["businesses", "import", "umkm.csv"])
        .expect_code(0);
    let list = businesses(&ws);
    assert_eq!(list[0]["name"], "Rendang Uni");
    assert_eq!(list[0]["category"], "Kuliner");
    assert_eq!(list[0]["district"], "Padang Barat");
    assert_eq!(list[0]["instagram"], "uni.lis");
}
