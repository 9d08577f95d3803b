"""Appearance of a synthetic person: skin tone, hair, clothing colours and textures.

Every body part is drawn with a *part id*; a person's appearance maps each part id to a primary
colour, a secondary colour and a pattern (solid, stripes, checks) that the renderer evaluates
per pixel in the person's own metric coordinates, so textures scale with the person.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

import cv2
import numpy as np

# part ids written into the renderer's label buffer (0 is the background)
PART_IDS: Dict[str, int] = dict(
    torso=1, upper_arm=2, forearm=3, hand=4, thigh=5, shin=6, foot=7, neck=8, hair=9, face=10,
    eye=11)
NUM_PARTS = 16  # room in the label code (4 bits)

# patterns evaluated by the renderer
PATTERNS: Dict[str, int] = dict(solid=0, hstripes=1, vstripes=2, checks=3, diagonal=4)

# skin tones (BGR), light to dark, after common photographic skin-tone charts
SKIN_TONES_BGR = np.array([
    [189, 209, 245], [160, 192, 234], [140, 180, 225], [118, 160, 208], [96, 140, 192],
    [80, 120, 170], [62, 98, 141], [48, 74, 110], [40, 60, 88]], np.float32)
HAIR_BGR = np.array([
    [20, 20, 25], [25, 35, 60], [30, 55, 95], [60, 110, 170], [140, 190, 225],
    [150, 150, 150], [30, 50, 140], [200, 200, 205]], np.float32)


@dataclass
class PersonAppearance:
    """Colours (BGR float 0..255) and patterns per part id of one person.

    Attributes:
        primary: (NUM_PARTS, 3) main colour of each part.
        secondary: (NUM_PARTS, 3) second colour of patterned parts.
        pattern: (NUM_PARTS,) pattern id (``PATTERNS``).
        period: (NUM_PARTS,) pattern period in metres.
    """

    primary: np.ndarray
    secondary: np.ndarray
    pattern: np.ndarray
    period: np.ndarray


def _random_cloth_colour(rng: np.random.Generator) -> np.ndarray:
    """A clothing colour: saturated hues, dark/light neutrals, or denim."""
    kind = rng.random()
    if kind < 0.55:
        hsv = np.array([[[rng.integers(0, 180), rng.integers(90, 256), rng.integers(70, 240)]]],
                       np.uint8)
    elif kind < 0.85:
        v = int(rng.integers(25, 235))
        hsv = np.array([[[0, 0, v]]], np.uint8)
    else:  # denim / khaki
        hsv = np.array([[[rng.choice([105, 110, 20]), rng.integers(60, 170),
                          rng.integers(60, 190)]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


def _contrast_colour(rng: np.random.Generator, base: np.ndarray) -> np.ndarray:
    """A second colour for a pattern, clearly different from ``base``."""
    for _ in range(10):
        c = _random_cloth_colour(rng)
        if np.abs(c - base).sum() > 150:
            return c
    return 255.0 - base


def sample_appearance(rng: np.random.Generator) -> PersonAppearance:
    """Draw skin tone, hair and clothes of one person.

    Args:
        rng: Random generator.

    Returns:
        The :class:`PersonAppearance`.
    """
    primary = np.zeros((NUM_PARTS, 3), np.float32)
    secondary = np.zeros((NUM_PARTS, 3), np.float32)
    pattern = np.zeros(NUM_PARTS, np.int64)
    period = np.full(NUM_PARTS, 0.1, np.float32)
    skin = SKIN_TONES_BGR[rng.integers(len(SKIN_TONES_BGR))] * rng.uniform(0.92, 1.08)
    hair = HAIR_BGR[rng.integers(len(HAIR_BGR))] * rng.uniform(0.85, 1.15)
    shirt = _random_cloth_colour(rng)
    trousers = _random_cloth_colour(rng)
    shoes = _random_cloth_colour(rng) * 0.6
    shirt_pattern = rng.choice(list(PATTERNS.values()), p=[0.4, 0.25, 0.1, 0.15, 0.1])
    trouser_pattern = rng.choice([PATTERNS['solid'], PATTERNS['vstripes'], PATTERNS['checks']],
                                 p=[0.75, 0.1, 0.15])
    long_sleeves = rng.random() < 0.5
    shorts = rng.random() < 0.25
    sleeveless = (not long_sleeves) and rng.random() < 0.2
    shirt2 = _contrast_colour(rng, shirt)
    trousers2 = _contrast_colour(rng, trousers)

    def put(part: str, col: np.ndarray, col2: np.ndarray = None, pat: int = 0,
            per: float = 0.1) -> None:
        i = PART_IDS[part]
        primary[i] = col
        secondary[i] = col if col2 is None else col2
        pattern[i] = pat
        period[i] = per

    shirt_period = float(rng.uniform(0.04, 0.12))
    trouser_period = float(rng.uniform(0.05, 0.12))
    put('torso', shirt, shirt2, shirt_pattern, shirt_period)
    put('upper_arm', skin if sleeveless else shirt, shirt2,
        0 if sleeveless else shirt_pattern, shirt_period)
    put('forearm', shirt if long_sleeves else skin, shirt2,
        shirt_pattern if long_sleeves else 0, shirt_period)
    put('hand', skin)
    put('thigh', trousers, trousers2, trouser_pattern, trouser_period)
    put('shin', skin if shorts else trousers, trousers2, 0 if shorts else trouser_pattern,
        trouser_period)
    put('foot', shoes)
    put('neck', skin * 0.93)
    put('hair', hair)
    put('face', skin)
    put('eye', np.array([35, 30, 30], np.float32))
    return PersonAppearance(np.clip(primary, 0, 255), np.clip(secondary, 0, 255), pattern,
                            period)
