//! The demo city's map: Yichang's five urban districts with their real codes,
//! their streets and towns, 121 communities and 1,120 grids.
//!
//! District codes and street names are real; street codes follow the national
//! pattern (001.. for streets, 1xx for towns, 2xx for townships) and
//! community names are made up.

use serde_json::json;

use super::names;

pub struct District {
    pub code: &'static str,
    pub name: &'static str,
    /// Roughly the district centre, for drawing grid outlines.
    pub centre: (f64, f64),
    pub streets: &'static [(&'static str, &'static str, usize)],
}

/// (code suffix, name, number of communities) per street.
pub const DISTRICTS: &[District] = &[
    District {
        code: "420502",
        name: "西陵区",
        centre: (111.290, 30.710),
        streets: &[
            ("001", "西陵街道", 6),
            ("002", "学院街道", 6),
            ("003", "云集街道", 6),
            ("004", "西坝街道", 4),
            ("005", "葛洲坝街道", 5),
            ("006", "夜明珠街道", 6),
            ("007", "东苑街道", 5),
            ("008", "北苑街道", 5),
            ("009", "窑湾街道", 4),
        ],
    },
    District {
        code: "420503",
        name: "伍家岗区",
        centre: (111.360, 30.650),
        streets: &[
            ("001", "大公桥街道", 7),
            ("002", "万寿桥街道", 6),
            ("003", "宝塔河街道", 6),
            ("004", "伍家岗街道", 6),
            ("200", "伍家乡", 3),
        ],
    },
    District {
        code: "420504",
        name: "点军区",
        centre: (111.250, 30.660),
        streets: &[
            ("001", "点军街道", 5),
            ("100", "桥边镇", 2),
            ("101", "艾家镇", 2),
            ("200", "土城乡", 1),
            ("201", "联棚乡", 1),
        ],
    },
    District {
        code: "420505",
        name: "猇亭区",
        centre: (111.430, 30.530),
        streets: &[
            ("001", "古老背街道", 5),
            ("002", "云池街道", 4),
            ("003", "虎牙街道", 3),
        ],
    },
    District {
        code: "420506",
        name: "夷陵区",
        // North of 西陵, clear of its grids.
        centre: (111.330, 30.810),
        streets: &[
            ("001", "小溪塔街道", 12),
            ("100", "鸦鹊岭镇", 5),
            ("101", "龙泉镇", 6),
        ],
    },
];

pub const COMMUNITY_COUNT: usize = 121;
pub const GRID_COUNT: usize = 1_120;
/// Communities (in code order) that have ten grids rather than nine, so that
/// 121 communities hold exactly 1,120 grids.
const COMMUNITIES_WITH_TEN_GRIDS: usize = GRID_COUNT - 9 * COMMUNITY_COUNT;

/// An area row to insert.
pub struct AreaRow {
    pub code: String,
    pub name: String,
    pub level: entities::area::AreaLevel,
    pub parent_code: Option<String>,
}

/// A grid row to insert, with the district it lies in.
pub struct GridRow {
    pub code: String,
    pub community_code: String,
    pub name: String,
    pub boundary: serde_json::Value,
    pub district_code: &'static str,
}

pub struct CityMap {
    pub areas: Vec<AreaRow>,
    pub grids: Vec<GridRow>,
}

pub fn city_map() -> CityMap {
    use entities::area::AreaLevel;
    let mut areas = Vec::new();
    let mut grids = Vec::new();
    let mut community_index = 0;
    for district in DISTRICTS {
        areas.push(AreaRow {
            code: district.code.to_owned(),
            name: district.name.to_owned(),
            level: AreaLevel::District,
            parent_code: None,
        });
        let mut grid_in_district = 0usize;
        for (suffix, street_name, communities) in district.streets {
            let street_code = format!("{}{}", district.code, suffix);
            areas.push(AreaRow {
                code: street_code.clone(),
                name: (*street_name).to_owned(),
                level: AreaLevel::Street,
                parent_code: Some(district.code.to_owned()),
            });
            for sequence in 1..=*communities {
                let community_code = format!("{street_code}{sequence:03}");
                let community_name = names::community(community_index);
                let grid_count = if community_index < COMMUNITIES_WITH_TEN_GRIDS {
                    10
                } else {
                    9
                };
                community_index += 1;
                for grid_sequence in 1..=grid_count {
                    grids.push(GridRow {
                        code: format!("{community_code}{grid_sequence:03}"),
                        community_code: community_code.clone(),
                        name: format!("{community_name}第{grid_sequence}网格"),
                        boundary: square_around(district.centre, grid_in_district),
                        district_code: district.code,
                    });
                    grid_in_district += 1;
                }
                areas.push(AreaRow {
                    code: community_code,
                    name: community_name,
                    level: AreaLevel::Community,
                    parent_code: Some(street_code.clone()),
                });
            }
        }
    }
    CityMap { areas, grids }
}

/// The district and street names of a code, for addresses.
pub fn district_name(code: &str) -> &'static str {
    DISTRICTS
        .iter()
        .find(|district| code.starts_with(district.code))
        .map_or("", |district| district.name)
}

/// A GeoJSON square of about 400 m, laid out on a lattice around the centre.
fn square_around(centre: (f64, f64), index: usize) -> serde_json::Value {
    const SIDE: f64 = 0.004;
    const COLUMNS: usize = 20;
    let (column, row) = ((index % COLUMNS) as f64, (index / COLUMNS) as f64);
    let west = centre.0 + (column - COLUMNS as f64 / 2.0) * SIDE;
    let south = centre.1 + (row - 7.0) * SIDE;
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let (w, s, e, n) = (
        round(west),
        round(south),
        round(west + SIDE),
        round(south + SIDE),
    );
    json!({
        "type": "Polygon",
        "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use policies::{AreaCode, AreaLevel};

    #[test]
    fn the_city_has_its_published_size() {
        let map = city_map();
        let communities = map
            .areas
            .iter()
            .filter(|area| area.level == entities::area::AreaLevel::Community)
            .count();
        assert_eq!(communities, COMMUNITY_COUNT);
        assert_eq!(map.grids.len(), GRID_COUNT);
    }

    /// The squares' corners: (west, south, east, north).
    fn extent(grid: &GridRow) -> (f64, f64, f64, f64) {
        let ring = grid.boundary["coordinates"][0]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let xs: Vec<f64> = ring.iter().filter_map(|p| p[0].as_f64()).collect();
        let ys: Vec<f64> = ring.iter().filter_map(|p| p[1].as_f64()).collect();
        let low = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        let high = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (low(&xs), low(&ys), high(&xs), high(&ys))
    }

    #[test]
    fn no_two_grids_overlap() {
        let map = city_map();
        let extents: Vec<_> = map.grids.iter().map(extent).collect();
        for (i, a) in extents.iter().enumerate() {
            assert!(a.0 < a.2 && a.1 < a.3, "{} has an area", map.grids[i].code);
            for (j, b) in extents.iter().enumerate().skip(i + 1) {
                // Sharing an edge is fine; sharing any area is not.
                let apart = a.2 <= b.0 + 1e-9
                    || b.2 <= a.0 + 1e-9
                    || a.3 <= b.1 + 1e-9
                    || b.3 <= a.1 + 1e-9;
                assert!(
                    apart,
                    "{} overlaps {}",
                    map.grids[i].code, map.grids[j].code
                );
            }
        }
    }

    #[test]
    fn every_code_has_its_level_width_and_nests_in_its_parent() {
        let map = city_map();
        for area in &map.areas {
            let code = AreaCode::parse(&area.code).expect("area codes are valid");
            match &area.parent_code {
                Some(parent) => {
                    let parent = AreaCode::parse(parent).expect("parent codes are valid");
                    assert!(parent.contains(&code));
                    assert_eq!(code.parent(), Some(parent));
                }
                None => assert_eq!(code.level(), AreaLevel::District),
            }
        }
        for grid in &map.grids {
            let code = AreaCode::parse(&grid.code).expect("grid codes are valid");
            assert_eq!(code.level(), AreaLevel::Grid);
            assert_eq!(
                code.parent().map(String::from),
                Some(grid.community_code.clone())
            );
        }
    }
}
