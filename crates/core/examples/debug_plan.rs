use fyd_core::catalogue::catalogue;
use fyd_core::planner::{course_content, plan};
use fyd_core::request::{validate_recommend, RecommendRequest};
fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let body = RecommendRequest {
        date_place: a[0].clone(),
        date_season: Some(a[1].clone()),
        date_start: a[2].clone(),
        date_end: a[3].clone(),
        date_transport: a[4].clone(),
        variant: a.get(5).map(|v| v.parse().unwrap()),
        date: a.get(6).cloned(),
        ..Default::default()
    };
    let req = validate_recommend(&body).unwrap();
    let anchor = fyd_core::anchor::resolve(catalogue(), &req).unwrap();
    let day = fyd_core::calendar::Day::new(req.date, req.season);
    eprintln!(
        "anchor {} {:.4},{:.4} sunset {}",
        anchor.name(fyd_core::request::Lang::Ko),
        anchor.lat,
        anchor.lon,
        fyd_core::calendar::sunset(day.reference_date(), anchor.lat, anchor.lon)
    );
    for p in fyd_core::planner::pool(catalogue(), &anchor, &req) {
        let d = fyd_core::geo::distance_m(anchor.position(), p.position());
        eprintln!("  {:5.0} m {:10} {:30} {:?}", d, p.category.code(), p.ko, p.hours.on(day).open.spans());
    }
    match plan(catalogue(), &req) {
        Ok(p) => println!("{}", course_content(catalogue(), &p, &req).answer),
        Err(e) => println!("ERR {e}"),
    }
}
#[allow(dead_code)]
fn unused() {}
