"""Opens an OGC API – Features layer in QGIS (offscreen), sets a subset string, and prints the
number of features QGIS reads: `COUNT n`. Used by crates/atlas/tests/ogc.rs (skipped when PyQGIS,
Debian `python3-qgis qgis-providers`, is missing).

usage: python3 tests/qgis_count.py OGC_URL COLLECTION SUBSET
"""
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402


def main() -> int:
    url, collection, subset = sys.argv[1:4]
    app = QgsApplication([], False)
    app.initQgis()
    try:
        return count_features(url, collection, subset)
    finally:
        # Every layer is gone by now: exitQgis with a live layer crashes (SIGSEGV).
        app.exitQgis()


def count_features(url: str, collection: str, subset: str) -> int:
    layer = QgsVectorLayer(f"url='{url}' typename='{collection}'", collection, "OAPIF")
    if not layer.isValid():
        print("INVALID layer")
        return 2
    if subset and not layer.setSubsetString(subset):
        print("INVALID subset")
        return 3
    count = sum(1 for _ in layer.getFeatures())
    print(f"COUNT {count}")
    print(f"CRS {layer.crs().authid()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
