//! The invoice document: an A4 PDF in the standard Helvetica faces (nothing embedded, so it is
//! small and opens anywhere), rendered on issue and kept beside the invoice. It says who bills
//! whom (the organization's name and address, the payer, the advertiser when an agency pays),
//! the order and the period, every line with its quantity, unit price and amount, the totals
//! (credited, paid, balance due), the terms and the due date. Long invoices run over pages,
//! each numbered.

use podcastflow_domain::Money;
use podcastflow_domain::billing::charge::Unit;
use podcastflow_domain::billing::invoice::Invoice;
use printpdf::{BuiltinFont, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem};

/// Who bills: what the document says of the organization.
#[derive(Debug, Clone, Copy)]
pub struct Issuer<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its postal address, lines separated by newlines.
    pub address: Option<&'a str>,
}

/// Page size, A4, in millimetres.
const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
/// Margins.
const LEFT: f32 = 18.0;
const RIGHT: f32 = WIDTH - 18.0;
/// Line rows that fit on a page below the header, and the height of one.
const ROWS_PER_PAGE: usize = 32;
const ROW: f32 = 6.0;
/// The longest description printed on one row.
const MAX_DESCRIPTION: usize = 72;

/// Helvetica's advance widths (per 1000 em, from its AFM) of what amounts and numbers are made
/// of, so columns of money align on the right; other characters take a digit's width.
fn advance(c: char) -> f32 {
    match c {
        '0'..='9' => 556.0,
        ',' | '.' | ' ' | 'I' => 278.0,
        '-' => 333.0,
        'J' => 500.0,
        'L' => 556.0,
        'F' | 'T' | 'Z' => 611.0,
        'A' | 'B' | 'E' | 'K' | 'P' | 'S' | 'V' | 'X' | 'Y' => 667.0,
        'C' | 'D' | 'H' | 'N' | 'R' | 'U' => 722.0,
        'G' | 'O' | 'Q' => 778.0,
        'M' => 833.0,
        'W' => 944.0,
        _ => 556.0,
    }
}

/// The width of `s` in Helvetica at `size` points, in millimetres.
fn width_mm(s: &str, size: f32) -> f32 {
    s.chars().map(advance).sum::<f32>() / 1000.0 * size * 25.4 / 72.0
}

/// Text placed on a page.
struct Page {
    ops: Vec<Op>,
}

impl Page {
    fn new() -> Self {
        Self { ops: Vec::new() }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, s: &str) {
        let font = if bold { BuiltinFont::HelveticaBold } else { BuiltinFont::Helvetica };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::Builtin(font), size: Pt(size) },
            Op::SetTextCursor { pos: Point::new(Mm(x), Mm(y)) },
            Op::ShowText { items: vec![TextItem::Text(s.to_owned())] },
            Op::EndTextSection,
        ]);
    }

    /// Text ending at `right`.
    fn right(&mut self, right: f32, y: f32, size: f32, bold: bool, s: &str) {
        self.text(right - width_mm(s, size), y, size, bold, s);
    }
}

fn shorten(s: &str) -> String {
    match s.chars().count() > MAX_DESCRIPTION {
        true => format!("{}...", s.chars().take(MAX_DESCRIPTION - 3).collect::<String>()),
        false => s.to_owned(),
    }
}

fn quantity(n: u64, unit: Unit) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match unit {
        Unit::Impressions => format!("{grouped} impr."),
        Unit::Spots => grouped,
    }
}

/// The header every page carries: who bills whom, which invoice.
fn header(p: &mut Page, i: &Invoice, issuer: &Issuer<'_>, number: &str) -> f32 {
    let mut y = HEIGHT - 22.0;
    p.text(LEFT, y, 16.0, true, issuer.name);
    p.right(RIGHT, y, 16.0, true, "INVOICE");
    y -= 6.0;
    p.right(RIGHT, y, 10.0, true, number);
    for line in issuer.address.unwrap_or_default().lines().filter(|l| !l.trim().is_empty()).take(5) {
        p.text(LEFT, y, 9.0, false, line.trim());
        y -= 4.5;
    }
    y = y.min(HEIGHT - 50.0) - 6.0;
    p.text(LEFT, y, 9.0, true, "Bill to");
    p.text(LEFT + 95.0, y, 9.0, true, "Details");
    y -= 5.0;
    p.text(LEFT, y, 10.0, false, &i.bill_to_name);
    let issued = i.issued_on();
    let details = [
        ("Order", i.order_number.clone()),
        ("Period", format!("{} to {}", i.period.start, i.period.end)),
        ("Issued", issued.map(|d| d.to_string()).unwrap_or_default()),
        ("Due", i.due_date.map(|d| d.to_string()).unwrap_or_default()),
    ];
    let mut dy = y;
    for (label, value) in details {
        p.text(LEFT + 95.0, dy, 9.0, false, label);
        p.text(LEFT + 115.0, dy, 9.0, false, &value);
        dy -= 4.5;
    }
    if i.bill_to != i.advertiser_id {
        p.text(LEFT, y - 5.0, 9.0, false, &format!("Advertiser: {}", i.advertiser_name));
    }
    dy - 8.0
}

fn column_heads(p: &mut Page, y: f32) {
    p.text(LEFT, y, 9.0, true, "Description");
    p.right(RIGHT - 62.0, y, 9.0, true, "Quantity");
    p.right(RIGHT - 32.0, y, 9.0, true, "Unit price");
    p.right(RIGHT, y, 9.0, true, "Amount");
}

/// The invoice's document as PDF bytes. Only an issued invoice has its number printed; a draft
/// says so.
pub fn render(i: &Invoice, issuer: &Issuer<'_>) -> Vec<u8> {
    let number = i.number.clone().unwrap_or_else(|| "DRAFT".to_owned());
    let money = |amount: i64| Money::new(amount, i.currency).to_string();
    let chunks: Vec<_> = if i.lines.is_empty() { vec![&i.lines[..]] } else { i.lines.chunks(ROWS_PER_PAGE).collect() };
    let pages = chunks.len();
    let mut out = Vec::with_capacity(pages);
    for (n, lines) in chunks.into_iter().enumerate() {
        let mut p = Page::new();
        let mut y = header(&mut p, i, issuer, &number);
        column_heads(&mut p, y);
        y -= ROW;
        for l in lines {
            p.text(LEFT, y, 9.0, false, &shorten(&l.description));
            p.right(RIGHT - 62.0, y, 9.0, false, &quantity(l.quantity, l.unit));
            let per = match l.unit {
                Unit::Impressions => format!("{} CPM", l.unit_price),
                Unit::Spots => l.unit_price.to_string(),
            };
            p.right(RIGHT - 32.0, y, 9.0, false, &per);
            p.right(RIGHT, y, 9.0, false, &l.amount.to_string());
            y -= ROW;
        }
        if n + 1 == pages {
            y -= 4.0;
            let mut totals = vec![("Total", i.total())];
            if i.credited() != 0 {
                totals.push(("Credited", -i.credited()));
            }
            if i.paid() != 0 {
                totals.push(("Paid", -i.paid()));
            }
            totals.push(("Balance due", i.balance()));
            for (label, amount) in totals {
                let bold = label == "Balance due";
                p.right(RIGHT - 45.0, y, 10.0, bold, label);
                p.right(RIGHT, y, 10.0, bold, &money(amount));
                y -= ROW;
            }
            y -= 6.0;
            let terms = match i.due_date {
                Some(due) => {
                    format!("Payment terms: {} days. Please pay by {due}, quoting {number}.", i.payment_terms_days)
                }
                None => format!("Payment terms: {} days from the issue date.", i.payment_terms_days),
            };
            p.text(LEFT, y, 9.0, false, &terms);
            p.text(LEFT, y - 5.0, 8.0, false, "Amounts are rounded half up to the minor unit, once per line.");
        }
        p.right(RIGHT, 12.0, 8.0, false, &format!("{number} - page {} of {pages}", n + 1));
        out.push(PdfPage::new(Mm(WIDTH), Mm(HEIGHT), p.ops));
    }
    let mut doc = PdfDocument::new(&format!("Invoice {number}"));
    doc.with_pages(out);
    let mut warnings = Vec::new();
    doc.save(&PdfSaveOptions::default(), &mut warnings)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};
    use podcastflow_domain::billing::charge::ChargeKind;
    use podcastflow_domain::billing::invoice::{InvoiceLine, InvoiceStatus, LineKind, Parties};
    use podcastflow_domain::billing::period::BillingMonth;
    use podcastflow_domain::order::BillingCalendar;
    use podcastflow_domain::{ClientId, Currency, OrderId, OrgId, Stamp, UserId};

    use super::*;

    fn invoice(lines: usize) -> Invoice {
        let month = BillingMonth::new(BillingCalendar::Broadcast, 2026, 12).unwrap();
        let usd = |a| Money::new(a, Currency::USD);
        let parties = Parties {
            order_id: OrderId::new(),
            order_number: "IO-2026-00007".into(),
            advertiser_id: ClientId::new(),
            advertiser_name: "Café Lumière".into(),
            bill_to: ClientId::new(),
            bill_to_name: "Media Agency Ltd".into(),
        };
        let lines = (1..=lines as u32)
            .map(|n| InvoiceLine {
                kind: LineKind::Charge(ChargeKind::Delivered),
                order_line: Some(n),
                description: format!("Line {n}: host read on 2026-12-0{}, as delivered", n % 9 + 1),
                quantity: 12_345,
                unit: Unit::Impressions,
                unit_price: usd(2_500),
                amount: usd(30_863),
            })
            .collect();
        let stamp = Stamp::created(UserId::new(), Utc::now());
        let mut i = Invoice::new_draft(OrgId::new(), parties, month, Currency::USD, lines, 30, stamp).unwrap();
        i.number = Some("INV-2027-00042".into());
        i.status = InvoiceStatus::Issued;
        i.issued_at = Some(Utc::now());
        i.due_date = NaiveDate::from_ymd_opt(2027, 1, 31);
        i.internal_notes = Some("never printed".into());
        i
    }

    fn text_of(pdf: &[u8]) -> (String, usize) {
        let doc = lopdf::Document::load_mem(pdf).expect("a PDF that opens");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        (doc.extract_text(&pages).expect("its text"), pages.len())
    }

    #[test]
    fn the_document_opens_and_says_the_number_the_parties_the_lines_and_the_balance_due() {
        let i = invoice(3);
        let issuer = Issuer { name: "Acme Podcast Network", address: Some("1 Main St\nSpringfield") };
        let pdf = render(&i, &issuer);
        assert!(pdf.starts_with(b"%PDF-"));
        let (text, pages) = text_of(&pdf);
        assert_eq!(pages, 1);
        for said in [
            "INV-2027-00042",
            "Acme Podcast Network",
            "1 Main St",
            "Media Agency Ltd",
            "Advertiser: Café Lumière",
            "IO-2026-00007",
            "2026-11-30 to 2026-12-27",
            "2027-01-01",
            "2027-01-31",
            "12,345 impr.",
            "USD 25.00 CPM",
            "USD 308.63",
            "USD 925.89",
            "Balance due",
            "Payment terms: 30 days",
        ] {
            assert!(text.contains(said), "{said:?} in {text}");
        }
        assert!(!text.contains("never printed"), "internal notes stay in");
    }

    #[test]
    fn a_long_invoice_runs_over_numbered_pages_with_its_totals_on_the_last() {
        let i = invoice(70);
        let (text, pages) = text_of(&render(&i, &Issuer { name: "Acme", address: None }));
        assert_eq!(pages, 3, "32 rows a page");
        assert!(text.contains("page 1 of 3") && text.contains("page 3 of 3"));
        assert!(text.contains("Line 70:") && text.contains("USD 21,604.10"), "70 x $308.63");
        assert_eq!(text.matches("Balance due").count(), 1);
        let mut direct = invoice(1);
        direct.bill_to = direct.advertiser_id;
        direct.number = None;
        let (text, _) = text_of(&render(&direct, &Issuer { name: "Acme", address: None }));
        assert!(!text.contains("Advertiser:") && text.contains("DRAFT"));
    }

    #[test]
    fn money_columns_align_on_the_right() {
        assert!((width_mm("USD 1.00", 10.0) - width_mm("USD 9.99", 10.0)).abs() < f32::EPSILON);
        assert!(width_mm("USD 1,000.00", 10.0) > width_mm("USD 100.00", 10.0));
        assert_eq!(shorten(&"x".repeat(100)).chars().count(), MAX_DESCRIPTION);
        assert_eq!(quantity(1_234_567, Unit::Spots), "1,234,567");
    }
}
