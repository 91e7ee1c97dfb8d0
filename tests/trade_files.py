"""Small trade files in the published formats (CEPII BACI, UN Comtrade), written by the tests.

No real trade data is committed: every file is made here, with the real files' quirks (BACI's
own numeric codes, 490 "Other Asia, nes", Namibia's "NA", ISO codes "N/A", HS codes with leading
zeros, quantities missing or "NA", padded numbers, older column names of the code file).
"""

from __future__ import annotations

from pathlib import Path

RELEASE = "V202401b"
#: BACI's country code file of release V202401 (the columns of 2024 and later).
COUNTRIES_NEW = """\
country_code,country_name,country_iso2,country_iso3
156,China,CN,CHN
251,France,FR,FRA
276,Germany,DE,DEU
380,Italy,IT,ITA
392,Japan,JP,JPN
410,Rep. of Korea,KR,KOR
490,"Other Asia, nes",N/A,S19
516,Namibia,NA,NAM
699,India,IN,IND
757,Switzerland,CH,CHE
842,USA,US,USA
899,"Areas, nes",N/A,N/A
"""
#: The same codes with the column names of releases before 2024.
COUNTRIES_OLD = """\
country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha
156,China,China,CN,CHN
251,France,France,FR,FRA
276,Germany,Germany,DE,DEU
380,Italy,Italy,IT,ITA
392,Japan,Japan,JP,JPN
410,Rep. of Korea,Republic of Korea,KR,KOR
490,"Other Asia, nes","Other Asia, not elsewhere specified",N/A,N/A
516,Namibia,Namibia,NA,NAM
699,India,India,IN,IND
757,Switzerland,Switzerland,CH,CHE
842,USA,United States of America,US,USA
899,"Areas, nes","Areas, not elsewhere specified",,
"""
PRODUCTS = """\
code,description
030192,"Fish; live, eels (Anguilla spp.)"
847950,"Machines and mechanical appliances; industrial robots, n.e.c. or included"
848340,"Gears and gearing; ball or roller screws; gear boxes and other speed changers"
850511,"Magnets; permanent magnets and articles intended to become permanent magnets, of metal"
854231,"Electronic integrated circuits; processors and controllers"
"""
#: Imports of China (156) in 2018, values in thousands of US dollars:
#: 847950 from JP 60, DE 20, 490 (Taiwan) 20; 030192 from Namibia 10, "Areas, nes" 30, US 0.5;
#: China exports 847950 to JP for 5.
CN_ROWS = """\
t,i,j,k,v,q
2018,392,156,847950,  60.000,    1.500
2018,276,156,847950,20,NA
2018,490,156,847950,20,
2018,516,156,030192,10,0.1
2018,899,156,030192,30,
2018,842,156,030192,0.5,          NA
2018,156,392,847950,5,0.2
2018,392,276,847950,99,1
"""


def write_baci(
    folder: Path,
    rows: str = CN_ROWS,
    *,
    year: int = 2018,
    countries: str = COUNTRIES_NEW,
    release: str = RELEASE,
    products: bool = True,
) -> Path:
    """Write a BACI folder (year file, country codes, product codes); return the year file."""
    folder.mkdir(parents=True, exist_ok=True)
    year_file = folder / f"BACI_HS17_Y{year}_{release}.csv"
    year_file.write_text(rows, encoding="utf-8")
    (folder / f"country_codes_{release}.csv").write_text(countries, encoding="utf-8")
    if products:
        (folder / f"product_codes_HS17_{release}.csv").write_text(PRODUCTS, encoding="utf-8")
    return year_file


COMTRADE_HEADER = (
    "typeCode,freqCode,refYear,period,reporterCode,reporterISO,reporterDesc,flowCode,"
    "partnerCode,partnerISO,partnerDesc,partner2Code,classificationCode,cmdCode,aggrLevel,"
    "customsCode,motCode,qty,primaryValue"
)
#: China's imports of 2018 as China reports them (US dollars): 847950 from JPN 600, DEU 200,
#: S19 (Taiwan) 200; the World total (skipped), a customs-procedure breakdown (skipped), a
#: 2-digit total (skipped), another year (skipped), France's imports (not China's); China's
#: exports of 847950 to JPN 50; 030192 from NAM (Namibia) 100.
COMTRADE_ROWS = [
    "C,A,2018,2018,156,CHN,China,M,392,JPN,Japan,0,H5,847950,6,C00,0,,600",
    "C,A,2018,2018,156,CHN,China,M,276,DEU,Germany,0,H5,847950,6,C00,0,,200",
    'C,A,2018,2018,156,CHN,China,M,490,S19,"Other Asia, nes",0,H5,847950,6,C00,0,,200',
    "C,A,2018,2018,156,CHN,China,M,0,W00,World,0,H5,847950,6,C00,0,,1000",
    "C,A,2018,2018,156,CHN,China,M,392,JPN,Japan,0,H5,847950,6,C01,0,,600",
    "C,A,2018,2018,156,CHN,China,M,392,JPN,Japan,0,H5,84,2,C00,0,,9999",
    "C,A,2017,2017,156,CHN,China,M,392,JPN,Japan,0,H5,847950,6,C00,0,,777",
    "C,A,2018,2018,251,FRA,France,M,392,JPN,Japan,0,H5,847950,6,C00,0,,300",
    "C,A,2018,2018,156,CHN,China,X,392,JPN,Japan,0,H5,847950,6,C00,0,,50",
    "C,A,2018,2018,156,CHN,China,M,516,NAM,Namibia,0,H5,30192,6,C00,0,,100",
]


def write_comtrade(path: Path, rows: list[str] | None = None, delimiter: str = ",") -> Path:
    """Write a Comtrade export (comma or tab separated)."""
    lines = [COMTRADE_HEADER, *(COMTRADE_ROWS if rows is None else rows)]
    if delimiter != ",":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        for row in csv.reader(lines):
            writer.writerow(row)
        path.write_text(out.getvalue(), encoding="utf-8")
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
