//! Small-cell suppression that survives subtraction.
//!
//! A caller who may see statistics but not the rows behind them never sees
//! a group smaller than the threshold (primary suppression). That alone is
//! undone by differencing: a street's count minus its communities' shown
//! counts is the hidden one. So every *relation* a caller can see — an
//! area's count and its children's, a total and its parts (men and women,
//! the age bands, the population types) — must hide either none of its
//! cells, or at least two whose sum is itself no small group (secondary, or
//! complementary, suppression). No relation then has a single unknown, so no
//! chain of subtractions starts, across levels, queries or fields.
//!
//! The pattern is worked out over the caller's whole tree of areas, not per
//! query, so a cell is hidden or shown the same way whichever area is asked.
//! The tests also try an attacker who solves all the relations at once as a
//! linear system; bounds from counts being non-negative are not considered.

use std::collections::HashMap;

/// Where each cell sits: a node of the area tree (the root is everything the
/// caller may see) and a measure.
pub type Cell = (usize, usize);

/// The area tree and each node's counts, one value per measure.
#[derive(Debug, Clone)]
pub struct Tree {
    /// Area codes; the root (index 0) is the empty code.
    pub codes: Vec<String>,
    pub children: Vec<Vec<usize>>,
    pub values: Vec<Vec<i64>>,
    index: HashMap<String, usize>,
    measures: usize,
}

/// Widths of area codes below the root: district, street, community, grid.
const WIDTHS: [usize; 4] = [6, 9, 12, 15];

impl Tree {
    pub fn new(measures: usize) -> Tree {
        let mut index = HashMap::new();
        index.insert(String::new(), 0);
        Tree {
            codes: vec![String::new()],
            children: vec![Vec::new()],
            values: vec![vec![0; measures]],
            index,
            measures,
        }
    }

    /// Adds a grid's counts to it and to every area around it.
    pub fn add_grid(&mut self, grid: &str, values: &[i64]) {
        let mut parent = 0;
        let mut path = vec![0];
        for width in WIDTHS {
            let Some(code) = grid.get(..width) else { break };
            let node = match self.index.get(code) {
                Some(node) => *node,
                None => {
                    let node = self.codes.len();
                    self.codes.push(code.to_owned());
                    self.children.push(Vec::new());
                    self.values.push(vec![0; self.measures]);
                    self.index.insert(code.to_owned(), node);
                    self.children[parent].push(node);
                    node
                }
            };
            path.push(node);
            parent = node;
        }
        for node in path {
            for (total, value) in self.values[node].iter_mut().zip(values) {
                *total += value;
            }
        }
    }

    pub fn node(&self, code: &str) -> Option<usize> {
        self.index.get(code).copied()
    }

    /// The nodes under `node` whose codes are `width` long, in tree order.
    pub fn descendants_at(&self, node: usize, width: usize) -> Vec<usize> {
        let mut found = Vec::new();
        let mut stack = vec![node];
        while let Some(at) = stack.pop() {
            for child in self.children[at].iter().rev() {
                if self.codes[*child].len() == width {
                    found.push(*child);
                } else if self.codes[*child].len() < width {
                    stack.push(*child);
                }
            }
        }
        found
    }
}

/// Which measures are suppressed, and how they relate within a node.
pub struct Rules<'a> {
    /// Measures hidden when small (the groups whose rows the caller may not
    /// list); the others are shown as they are.
    pub suppressed: &'a [bool],
    /// Within each node: a total and the parts that add up to it.
    pub partitions: &'a [(usize, &'a [usize])],
    pub threshold: i64,
}

/// The cells to hide.
pub fn suppress(tree: &Tree, rules: &Rules<'_>) -> Vec<Vec<bool>> {
    let measures = rules.suppressed.len();
    let mut hidden: Vec<Vec<bool>> = tree
        .values
        .iter()
        .map(|values| {
            (0..measures)
                .map(|m| rules.suppressed[m] && values[m] > 0 && values[m] < rules.threshold)
                .collect()
        })
        .collect();
    // Every relation: its total first, then the cells that add up to it.
    let mut relations: Vec<Vec<Cell>> = Vec::new();
    for (node, children) in tree.children.iter().enumerate() {
        if children.is_empty() {
            continue;
        }
        for m in (0..measures).filter(|m| rules.suppressed[*m]) {
            let mut cells = vec![(node, m)];
            cells.extend(children.iter().map(|child| (*child, m)));
            relations.push(cells);
        }
    }
    for node in 0..tree.codes.len() {
        for (total, parts) in rules.partitions {
            if rules.suppressed[*total] {
                let mut cells = vec![(node, *total)];
                cells.extend(parts.iter().map(|part| (node, *part)));
                relations.push(cells);
            }
        }
    }
    loop {
        let mut changed = false;
        for cells in &relations {
            let value = |(node, m): Cell| tree.values[node][m];
            let hidden_cells: Vec<Cell> = cells
                .iter()
                .copied()
                .filter(|(node, m)| hidden[*node][*m])
                .collect();
            if hidden_cells.is_empty() {
                continue;
            }
            let hidden_sum: i64 = hidden_cells.iter().map(|cell| value(*cell)).sum();
            if hidden_cells.len() >= 2 && (hidden_sum == 0 || hidden_sum >= rules.threshold) {
                continue;
            }
            // Hide one more: a part before the total, the smallest non-zero
            // before a zero, the first in the tree's order on a tie.
            let pick = cells
                .iter()
                .copied()
                .enumerate()
                .filter(|(_, (node, m))| !hidden[*node][*m])
                .min_by_key(|(position, cell)| {
                    (*position == 0, value(*cell) == 0, value(*cell), *position)
                })
                .map(|(_, cell)| cell);
            if let Some((node, m)) = pick {
                hidden[node][m] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attacker: solve every relation with a single unknown, again and
    /// again with what was learnt; the cells it recovers.
    fn recoverable(tree: &Tree, hidden: &[Vec<bool>], rules: &Rules<'_>) -> Vec<Cell> {
        let measures = rules.suppressed.len();
        let mut known: Vec<Vec<Option<i64>>> = tree
            .values
            .iter()
            .zip(hidden)
            .map(|(values, hidden)| {
                (0..measures)
                    .map(|m| (!hidden[m]).then_some(values[m]))
                    .collect()
            })
            .collect();
        let mut relations: Vec<Vec<Cell>> = Vec::new();
        for (node, children) in tree.children.iter().enumerate() {
            if !children.is_empty() {
                for m in 0..measures {
                    let mut cells = vec![(node, m)];
                    cells.extend(children.iter().map(|c| (*c, m)));
                    relations.push(cells);
                }
            }
        }
        for node in 0..tree.codes.len() {
            for (total, parts) in rules.partitions {
                let mut cells = vec![(node, *total)];
                cells.extend(parts.iter().map(|p| (node, *p)));
                relations.push(cells);
            }
        }
        let mut recovered = Vec::new();
        loop {
            let mut learnt = false;
            for cells in &relations {
                let unknown: Vec<usize> = (0..cells.len())
                    .filter(|i| known[cells[*i].0][cells[*i].1].is_none())
                    .collect();
                if unknown.len() != 1 {
                    continue;
                }
                let parts: i64 = cells[1..].iter().filter_map(|(n, m)| known[*n][*m]).sum();
                let (n, m) = cells[unknown[0]];
                let value = if unknown[0] == 0 {
                    parts
                } else {
                    known[cells[0].0][cells[0].1].unwrap_or(0) - parts
                };
                known[n][m] = Some(value);
                recovered.push((n, m));
                learnt = true;
            }
            if !learnt {
                return recovered;
            }
        }
    }

    fn city(draw: &mut u64, grids: usize) -> Tree {
        let mut tree = Tree::new(3);
        for g in 0..grids {
            *draw = draw
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let men = ((*draw >> 33) % 9) as i64;
            let women = ((*draw >> 40) % 9) as i64;
            let code = format!(
                "4205{:02}{:03}{:03}{:03}",
                2 + g % 3,
                1 + g % 4,
                1 + g % 5,
                g
            );
            tree.add_grid(&code, &[men + women, men, women]);
        }
        tree
    }

    #[test]
    fn no_hidden_cell_is_recovered_by_subtraction() {
        let mut draw = 7;
        for grids in [3, 10, 40, 200] {
            let tree = city(&mut draw, grids);
            let rules = Rules {
                suppressed: &[true, true, true],
                partitions: &[(0, &[1, 2])],
                threshold: 5,
            };
            let hidden = suppress(&tree, &rules);
            let small = tree
                .values
                .iter()
                .flatten()
                .filter(|v| **v > 0 && **v < 5)
                .count();
            assert!(hidden.iter().flatten().filter(|h| **h).count() >= small);
            assert_eq!(
                recoverable(&tree, &hidden, &rules),
                Vec::<Cell>::new(),
                "{grids} grids"
            );
            // Every small group is hidden.
            for (values, hidden) in tree.values.iter().zip(&hidden) {
                for m in 0..3 {
                    if values[m] > 0 && values[m] < 5 {
                        assert!(hidden[m]);
                    }
                }
            }
        }
    }

    /// Measures: residents, men, women, two bands, the bands' men, the
    /// bands' women; every row and column of the band-by-sex table is a
    /// relation.
    const PYRAMID_RULES: Rules<'static> = Rules {
        suppressed: &[true; 9],
        partitions: &[
            (0, &[1, 2]),
            (0, &[3, 4]),
            (1, &[5, 6]),
            (2, &[7, 8]),
            (3, &[5, 7]),
            (4, &[6, 8]),
        ],
        threshold: 5,
    };

    /// Sixty grids of small pyramids (0 to 6 people in each cell).
    fn pyramid() -> Tree {
        let mut draw = 11u64;
        let mut tree = Tree::new(9);
        for g in 0..60 {
            let mut small = || {
                draw = draw
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((draw >> 33) % 7) as i64
            };
            let (men, women) = ([small(), small()], [small(), small()]);
            let code = format!("4205{:02}{:03}{:03}{:03}", 2 + g % 2, 1 + g % 3, 1, g);
            tree.add_grid(
                &code,
                &[
                    men[0] + men[1] + women[0] + women[1],
                    men[0] + men[1],
                    women[0] + women[1],
                    men[0] + women[0],
                    men[1] + women[1],
                    men[0],
                    men[1],
                    women[0],
                    women[1],
                ],
            );
        }
        tree
    }

    #[test]
    fn a_pyramid_is_protected_along_its_rows_and_columns() {
        let (tree, rules) = (pyramid(), PYRAMID_RULES);
        let hidden = suppress(&tree, &rules);
        assert!(hidden.iter().flatten().any(|h| *h));
        assert_eq!(recoverable(&tree, &hidden, &rules), Vec::<Cell>::new());
    }

    #[test]
    fn primary_suppression_alone_would_be_undone() {
        let mut tree = Tree::new(1);
        tree.add_grid("420502003001001", &[2]);
        tree.add_grid("420502003001002", &[40]);
        let rules = Rules {
            suppressed: &[true],
            partitions: &[],
            threshold: 5,
        };
        let primary: Vec<Vec<bool>> = tree
            .values
            .iter()
            .map(|v| vec![v[0] > 0 && v[0] < 5])
            .collect();
        assert!(
            !recoverable(&tree, &primary, &rules).is_empty(),
            "the attack works on primary suppression"
        );
        let hidden = suppress(&tree, &rules);
        assert!(recoverable(&tree, &hidden, &rules).is_empty());
    }

    #[test]
    fn measures_not_suppressed_stay_exact() {
        let mut tree = Tree::new(2);
        tree.add_grid("420502003001001", &[2, 3]);
        tree.add_grid("420502003001002", &[40, 1]);
        let rules = Rules {
            suppressed: &[true, false],
            partitions: &[],
            threshold: 5,
        };
        let hidden = suppress(&tree, &rules);
        assert!(hidden.iter().all(|cells| !cells[1]));
    }

    /// The cells an attacker determines by solving every relation at once:
    /// those whose unit vector lies in the row space of the relations over
    /// the hidden cells (reduced row echelon form, in floating point: the
    /// coefficients are 0 and ±1).
    fn linear_recoverable(tree: &Tree, hidden: &[Vec<bool>], rules: &Rules<'_>) -> Vec<Cell> {
        let measures = rules.suppressed.len();
        let mut index: HashMap<Cell, usize> = HashMap::new();
        for (node, cells) in hidden.iter().enumerate() {
            for (m, _) in cells.iter().enumerate().filter(|(_, hidden)| **hidden) {
                let n = index.len();
                index.insert((node, m), n);
            }
        }
        let mut relations: Vec<Vec<(Cell, f64)>> = Vec::new();
        for (node, children) in tree.children.iter().enumerate() {
            if !children.is_empty() {
                for m in 0..measures {
                    let mut cells = vec![((node, m), 1.0)];
                    cells.extend(children.iter().map(|c| ((*c, m), -1.0)));
                    relations.push(cells);
                }
            }
        }
        for node in 0..tree.codes.len() {
            for (total, parts) in rules.partitions {
                let mut cells = vec![((node, *total), 1.0)];
                cells.extend(parts.iter().map(|p| ((node, *p), -1.0)));
                relations.push(cells);
            }
        }
        let n = index.len();
        let mut rows: Vec<Vec<f64>> = relations
            .iter()
            .map(|cells| {
                let mut row = vec![0.0; n];
                for (cell, sign) in cells {
                    if let Some(k) = index.get(cell) {
                        row[*k] += sign;
                    }
                }
                row
            })
            .filter(|row| row.iter().any(|v| *v != 0.0))
            .collect();
        // Row echelon form.
        let mut pivots = Vec::new();
        let mut r = 0;
        for c in 0..n {
            let Some(p) = (r..rows.len()).find(|i| rows[*i][c].abs() > 1e-9) else {
                continue;
            };
            rows.swap(r, p);
            let lead = rows[r][c];
            for v in rows[r].iter_mut() {
                *v /= lead;
            }
            for i in 0..rows.len() {
                if i != r && rows[i][c].abs() > 1e-9 {
                    let f = rows[i][c];
                    let pivot_row = rows[r].clone();
                    for (v, p) in rows[i].iter_mut().zip(pivot_row) {
                        *v -= f * p;
                    }
                }
            }
            pivots.push(c);
            r += 1;
        }
        let mut found = Vec::new();
        for (cell, k) in &index {
            // Determined iff some RREF row is exactly e_k.
            if rows[..r].iter().any(|row| {
                row.iter().enumerate().all(|(j, v)| {
                    if j == *k {
                        (v - 1.0).abs() < 1e-9
                    } else {
                        v.abs() < 1e-9
                    }
                })
            }) {
                found.push(*cell);
            }
        }
        found
    }

    /// The attacker who solves every relation at once, as a linear system
    /// over the hidden cells (a chain of subtractions is one of its
    /// solutions): on a plain tree and on a pyramid's band-by-sex table, no
    /// hidden cell is determined; primary suppression alone is undone.
    #[test]
    fn no_hidden_cell_is_determined_by_the_relations_together() {
        let (pyramid, pyramid_rules) = (pyramid(), PYRAMID_RULES);
        let hidden = suppress(&pyramid, &pyramid_rules);
        assert!(hidden.iter().flatten().filter(|h| **h).count() > 100);
        assert_eq!(
            linear_recoverable(&pyramid, &hidden, &pyramid_rules),
            Vec::<Cell>::new()
        );

        let plain_rules = Rules {
            suppressed: &[true; 3],
            partitions: &[(0, &[1, 2])],
            threshold: 5,
        };
        let mut draw = 7;
        let plain = city(&mut draw, 200);
        let hidden = suppress(&plain, &plain_rules);
        assert_eq!(
            linear_recoverable(&plain, &hidden, &plain_rules),
            Vec::<Cell>::new()
        );
        let primary: Vec<Vec<bool>> = plain
            .values
            .iter()
            .map(|values| values.iter().map(|v| *v > 0 && *v < 5).collect())
            .collect();
        assert!(
            !linear_recoverable(&plain, &primary, &plain_rules).is_empty(),
            "the attacker undoes primary suppression"
        );
    }
}
