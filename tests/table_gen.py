"""A census-style table for the table tests (tests/table_cli.sh, tests/python_estimators.py,
bench/compare_table.py): numeric and string columns, an id column, every default spelling of a
missing cell (empty, NA, N/A, NaN, nan, null, ?), a label that depends on both kinds, and a test
file with a category that training never saw.
usage: python3 table_gen.py OUT_DIR [ROWS] [SEED]  ->  OUT_DIR/train.csv, OUT_DIR/test.csv"""
import math
import os
import random
import sys

MISSING = ["", "NA", "N/A", "NaN", "nan", "null", "?"]
WORK = ["Private", "Self-emp", "State-gov", "Federal-gov", "Local-gov", "Without-pay"]
EDU = ["Bachelors", "HS-grad", "11th", "Masters", "Doctorate", "Some-college", "Assoc"]
EDU_YEARS = {"Bachelors": 13, "HS-grad": 9, "11th": 7, "Masters": 14, "Doctorate": 16,
             "Some-college": 10, "Assoc": 11}
WORK_BONUS = {"Private": 0.0, "Self-emp": 0.6, "State-gov": 0.2, "Federal-gov": 0.5,
              "Local-gov": 0.1, "Without-pay": -1.5}


def rows(n, rng, unseen=False):
    out = []
    for i in range(n):
        age = rng.randint(17, 80)
        work = rng.choice(WORK)
        if unseen and i % 25 == 3:
            work = "Never-worked"  # not in the training file
        edu = rng.choice(EDU)
        hours = max(1, min(99, int(rng.gauss(40, 12))))
        gain = 0 if rng.random() < 0.8 else rng.randint(1000, 20000)
        z = (0.04 * (age - 40) - 0.0012 * (age - 40) ** 2 + 0.35 * (EDU_YEARS.get(edu, 10) - 10)
             + 0.04 * (hours - 40) + WORK_BONUS.get(work, 0.0) + 0.00012 * gain - 0.4
             + rng.gauss(0, 0.8))
        label = ">50K" if z > 0 else "<=50K"
        cells = [str(i + 1), str(age), work, edu, str(hours), str(gain)]
        # missing cells: every spelling, in numeric and string columns (not in the id)
        for j in (1, 2, 3, 4):
            if rng.random() < 0.06:
                cells[j] = rng.choice(MISSING)
        out.append(cells + [label])
    return out


def write(path, header, data):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in data:
            f.write(",".join(r) + "\n")


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    header = ["id", "age", "workclass", "education", "hours", "gain", "income"]
    train = rows(n, rng)
    # the first data row complete (a header is told from data by its first row), and every
    # missing spelling at least once in a numeric and in a string column
    train[0] = ["1", "39", "State-gov", "Bachelors", "40", "0", "<=50K"]
    for k, m in enumerate(MISSING):
        train[1 + k][1] = m
        train[1 + k][3] = m
    test = rows(max(n // 4, 50), rng, unseen=True)
    test[0][1:6] = ["52", "Private", "Masters", "45", "0"]
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "train.csv"), header, train)
    write(os.path.join(out, "test.csv"), header, test)


if __name__ == "__main__":
    main()
