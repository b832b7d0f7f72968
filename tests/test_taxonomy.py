import csv

import pandas as pd
import pytest
from conftest import DATA

from classifier.errors import DataFileError
from classifier.taxonomy.loaders import TAXONOMY_COLUMNS, load_examples, load_faq, load_taxonomy


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(DATA / "taxonomy.csv")


def test_taxonomy_has_4_categories_23_subcategories_87_items(taxonomy):
    assert len(taxonomy.items) == 87
    assert len(taxonomy.subcategories) == 23
    assert len(taxonomy.categories) == 4


def test_codes_stay_strings(taxonomy):
    assert "4.10.1" in taxonomy and "4.1.1" in taxonomy
    assert all(isinstance(code, str) for code in taxonomy.codes)
    assert taxonomy["4.10.1"].name == "智慧風險控管"


def test_names_match_the_seed_table(taxonomy):
    assert taxonomy["4.1.2"].name == "生物特徵識別應用"
    assert taxonomy["1.1.6"].name == "數據科學專案管理開發/ MLOps"
    assert taxonomy["4.3.4"].subcategory_name == "無人載具產業應用"


def test_seed_spellings_are_aliases(taxonomy):
    assert "智能結帳/商品識別" in taxonomy["4.8.1"].aliases
    assert "機器學習/深度學習工具與算法開發" in taxonomy["1.1.2"].aliases
    assert any("2.3.4" in a for a in taxonomy["4.3.4"].aliases)


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TAXONOMY_COLUMNS)
        writer.writerows(rows)


def _row(code, sub, cat):
    return [code, f"item {code}", sub, "sub", cat, "cat", "a definition", "k1;k2", ""]


def test_wrong_parent_is_reported(tmp_path):
    _write(tmp_path / "t.csv", [_row("1.1.1", "1.2", "1"), _row("1.1.2", "1.1", "1")])
    with pytest.raises(DataFileError) as err:
        load_taxonomy(tmp_path / "t.csv", expected=None)
    assert str(err.value) == (
        "taxonomy.csv is invalid: 1.1.1 sits under subcategory '1.2', expected '1.1'. Fix data/taxonomy.csv."
    )


def test_duplicate_codes_and_count_are_reported(tmp_path):
    _write(tmp_path / "t.csv", [_row("1.1.1", "1.1", "1"), _row("1.1.1", "1.1", "1")])
    with pytest.raises(DataFileError, match=r"duplicate codes \['1.1.1'\].*expected 87 unique codes, found 1"):
        load_taxonomy(tmp_path / "t.csv")


def test_missing_column_names_what_was_found(tmp_path):
    (tmp_path / "t.csv").write_text("code,name\n1.1.1,x\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"missing \['subcategory_code'"):
        load_taxonomy(tmp_path / "t.csv")


def test_faq_has_all_23_rulings_with_valid_codes(taxonomy):
    rulings = load_faq(DATA / "faq_examples.csv", taxonomy)
    assert [r.faq for r in rulings] == list(range(1, 24))
    assert {r.verdict for r in rulings} <= {"eligible", "conditional", "ineligible"}
    assert next(r for r in rulings if r.faq == 8).codes == ("4.1.2",)
    assert next(r for r in rulings if r.faq == 17).verdict == "ineligible"


def test_examples_cover_every_item_at_least_five_times(taxonomy):
    examples = load_examples(DATA / "examples.csv", taxonomy)
    assert len(examples) >= 435
    counts = pd.Series([e.code for e in examples]).value_counts()
    assert set(counts.index) == set(taxonomy.codes)
    assert counts.min() >= 5


def test_dev_eval_is_held_out_and_exercises_the_rulings(taxonomy):
    dev = load_examples(DATA / "dev_eval.csv", taxonomy)
    train = {e.text for e in load_examples(DATA / "examples.csv", taxonomy)}
    assert len(dev) >= 150
    assert sum(1 for e in dev if e.rule_ids or e.verdict != "eligible") >= 30
    assert not train & {e.text for e in dev}


@pytest.mark.parametrize("name, earlier", [
    ("blind_holdout.csv", ("examples.csv", "dev_eval.csv")),
    ("blind_holdout_2.csv", ("examples.csv", "dev_eval.csv", "blind_holdout.csv")),
])
def test_blind_holdouts_share_nothing_with_the_other_sets(taxonomy, name, earlier):
    blind = load_examples(DATA / name, taxonomy)
    others = {e.text for other in earlier for e in load_examples(DATA / other, taxonomy)}
    assert len(blind) >= 150 and set(e.code for e in blind) == set(taxonomy.codes)
    assert not others & {e.text for e in blind}
