"""FlexFleet's tests: unit, integration (moto), end to end (HTTP), and the emulator's own."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
