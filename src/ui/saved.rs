//! Things saved under a name (payload templates, token lists): a name field, Save,
//! and a picker to load or delete, shared so both behave the same.

/// A value saved under a name.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Named<T> {
    /// The name the user gave it.
    pub name: String,
    /// What was saved.
    pub value: T,
}

/// Labels of one kind of saved thing, unique in the window so the accessibility
/// tree can tell the bars apart.
pub struct Labels {
    /// Beside the name field, e.g. "Template".
    pub name: &'static str,
    /// Beside the picker, e.g. "Load template".
    pub load: &'static str,
    /// The Save button, e.g. "Save template".
    pub save: &'static str,
}

/// What the user picked in a bar: an item to load, or one to delete (once confirmed).
#[derive(Clone, Debug, PartialEq)]
pub enum Picked<T> {
    /// Load this one.
    Load(Named<T>),
    /// Delete the item of this name (among those the bar offers).
    Delete(String),
}

/// Saves `current()` under the typed name (replacing one of the same name); in the
/// picker, duplicates or renames (to the typed name) an item, and returns the item the
/// user picked to load or to delete. Only items for which `fits` holds are offered, e.g.
/// token lists of the chosen identity and endpoint.
pub fn bar<T: Clone>(
    ui: &mut egui::Ui,
    labels: &Labels,
    items: &mut Vec<Named<T>>,
    name: &mut String,
    current: impl FnOnce() -> T,
    fits: impl Fn(&T) -> bool,
) -> Option<Picked<T>> {
    let label = ui.label(labels.name);
    ui.add(egui::TextEdit::singleline(name).desired_width(super::theme::size::FIELD_M))
        .labelled_by(label.id);
    let trimmed = name.trim().to_owned();
    if ui
        .add_enabled(!trimmed.is_empty(), egui::Button::new(labels.save))
        .clicked()
    {
        let item = Named {
            name: trimmed.clone(),
            value: current(),
        };
        // Only an item the picker offers is replaced: a token list of the same name for
        // another identity or endpoint is another list.
        match items
            .iter_mut()
            .find(|existing| existing.name == trimmed && fits(&existing.value))
        {
            Some(existing) => *existing = item,
            None => items.push(item),
        }
    }
    let mut load = None;
    let mut change = None;
    let offered = items.iter().filter(|item| fits(&item.value)).count();
    let label = ui.label(labels.load);
    egui::ComboBox::from_id_salt(labels.load)
        .selected_text(format!("{offered} saved"))
        .show_ui(ui, |ui| {
            for (index, item) in items
                .iter()
                .enumerate()
                .filter(|(_, item)| fits(&item.value))
            {
                ui.horizontal(|ui| {
                    if ui.selectable_label(false, &item.name).clicked() {
                        load = Some(index);
                    }
                    if ui.small_button("Duplicate").clicked() {
                        change = Some(Change::Duplicate(index));
                    }
                    let free = !trimmed.is_empty() && items.iter().all(|i| i.name != trimmed);
                    if ui
                        .add_enabled(free, egui::Button::new("Rename to the typed name").small())
                        .clicked()
                    {
                        change = Some(Change::Rename(index));
                    }
                    if ui.small_button("Delete").clicked() {
                        change = Some(Change::Delete(index));
                    }
                });
            }
        })
        .response
        .labelled_by(label.id);
    let picked = load
        .map(|index| Picked::Load(items[index].clone()))
        .or_else(|| match change {
            Some(Change::Delete(index)) => Some(Picked::Delete(items[index].name.clone())),
            _ => None,
        });
    match change {
        Some(Change::Duplicate(index)) => {
            let copy = Named {
                name: unused_name(items, &format!("{} copy", items[index].name)),
                value: items[index].value.clone(),
            };
            items.insert(index + 1, copy);
        }
        Some(Change::Rename(index)) => items[index].name = trimmed,
        Some(Change::Delete(_)) | None => {}
    }
    picked
}

/// What the picker's buttons do to one saved item.
enum Change {
    Duplicate(usize),
    Rename(usize),
    Delete(usize),
}

/// `wanted`, or `wanted 2`, `wanted 3`… whichever no item has yet.
fn unused_name<T>(items: &[Named<T>], wanted: &str) -> String {
    let taken = |name: &str| items.iter().any(|item| item.name == name);
    if !taken(wanted) {
        return wanted.to_owned();
    }
    let mut n = 2;
    loop {
        let name = format!("{wanted} {n}");
        if !taken(&name) {
            return name;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duplicate_gets_a_name_no_item_has() {
        let items = vec![
            Named {
                name: "Sale copy".to_owned(),
                value: 1,
            },
            Named {
                name: "Sale copy 2".to_owned(),
                value: 2,
            },
        ];
        assert_eq!(unused_name(&items, "Sale copy"), "Sale copy 3");
        assert_eq!(unused_name(&items, "Welcome copy"), "Welcome copy");
    }
}
