"""Scene of a synthetic video: a textured background canvas, the ground-plane perspective and a
moving (panning / zooming) camera.

The world is a ground plane seen by a pinhole camera at height ``cam_height``. A ground point
``(X, Z)`` (metres across / in depth) maps to canvas pixels ``u = cx + f X / Z`` and
``v = horizon + f (cam_height - up) / Z``. The canvas is larger than the frame; the video camera
is a similarity (zoom about a moving centre) from canvas to frame pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class GroundCamera:
    """Perspective of the ground plane in canvas pixels.

    Attributes:
        focal: Focal length in canvas pixels.
        cx: Canvas column of the optical axis.
        horizon: Canvas row of the horizon.
        cam_height: Camera height above the ground (metres).
    """

    focal: float
    cx: float
    horizon: float
    cam_height: float

    def project(self, x: np.ndarray, z: np.ndarray, up: np.ndarray) -> np.ndarray:
        """Canvas pixels ``(..., 2)`` of world points (X across, Z depth, up) in metres."""
        z = np.maximum(z, 0.3)
        return np.stack([self.cx + self.focal * x / z,
                         self.horizon + self.focal * (self.cam_height - up) / z], axis=-1)

    def x_at(self, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        """World X of canvas column ``u`` at depth ``z``."""
        return (u - self.cx) * z / self.focal


@dataclass
class CameraPath:
    """Per-frame similarity from canvas to frame pixels: ``frame = zoom * (canvas - centre) +
    frame_size / 2``.

    Attributes:
        centre: (T, 2) canvas point at the frame centre.
        zoom: (T,) frame pixels per canvas pixel.
        frame_size: ``(width, height)`` of the frame.
    """

    centre: np.ndarray
    zoom: np.ndarray
    frame_size: tuple

    def matrix(self, t: int) -> np.ndarray:
        """2x3 affine matrix (canvas -> frame) of frame ``t``."""
        z = float(self.zoom[t])
        w, h = self.frame_size
        cx, cy = self.centre[t]
        return np.array([[z, 0, w / 2 - z * cx], [0, z, h / 2 - z * cy]], np.float64)

    def apply(self, t: int, pts: np.ndarray) -> np.ndarray:
        """Map canvas points ``(..., 2)`` to frame pixels for frame ``t``."""
        w, h = self.frame_size
        return (pts - self.centre[t]) * self.zoom[t] + np.array([w / 2, h / 2])


def _fractal_noise(rng: np.random.Generator, h: int, w: int, octaves=(64, 16, 4)) -> np.ndarray:
    """Smooth multi-octave value noise in about [-1, 1], shape (h, w)."""
    out = np.zeros((h, w), np.float32)
    amp = 1.0
    for cell in octaves:
        small = rng.uniform(-1, 1, (max(2, h // cell + 2), max(2, w // cell + 2)))
        out += amp * cv2.resize(small.astype(np.float32), (w, h),
                                interpolation=cv2.INTER_CUBIC)
        amp *= 0.5
    return out / 1.75


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    px = np.array([[[h % 180, np.clip(s, 0, 255), np.clip(v, 0, 255)]]], np.uint8)
    return cv2.cvtColor(px, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


def render_background(rng: np.random.Generator, width: int, height: int,
                      ground: GroundCamera) -> np.ndarray:
    """A textured background canvas: wall/sky above the horizon, a textured ground below, clutter.

    Args:
        rng: Random generator.
        width: Canvas width. height: Canvas height.
        ground: The ground-plane perspective (for the horizon and the floor grid).

    Returns:
        (height, width, 3) uint8 BGR image.
    """
    hz = int(np.clip(ground.horizon, 1, height - 1))
    img = np.zeros((height, width, 3), np.float32)
    rows = np.arange(height, dtype=np.float32)[:, None, None]
    # upper part: wall or sky gradient
    top = _hsv(rng.integers(0, 180), rng.uniform(10, 120), rng.uniform(110, 235))
    bottom = _hsv(rng.integers(0, 180), rng.uniform(10, 120), rng.uniform(90, 220))
    mix = np.clip(rows / max(hz, 1), 0, 1)
    img[:] = top * (1 - mix) + bottom * mix
    # ground: a floor colour fading with distance
    floor = _hsv(rng.choice([20, 40, 60, 0, 100, 15]), rng.uniform(20, 140), rng.uniform(70, 190))
    fmix = np.clip((rows - hz) / max(height - hz, 1), 0, 1)
    img[hz:] = floor * (0.75 + 0.35 * fmix[hz:])
    noise = _fractal_noise(rng, height, width)
    img *= (1.0 + rng.uniform(0.1, 0.3) * noise)[..., None]

    # wall structure: bricks, vertical panels, or buildings with windows
    kind = rng.integers(3)
    line_col = tuple(float(c) for c in bottom * rng.uniform(0.5, 0.8))
    if kind == 0:  # bricks
        bh = int(rng.integers(6, 14))
        bw = bh * int(rng.integers(2, 4))
        for r, y in enumerate(range(0, hz, bh)):
            cv2.line(img, (0, y), (width, y), line_col, 1)
            off = (r % 2) * bw // 2
            for x in range(off, width, bw):
                cv2.line(img, (x, y), (x, min(y + bh, hz)), line_col, 1)
    elif kind == 1:  # panels / poles
        for x in np.sort(rng.uniform(0, width, int(rng.integers(4, 12)))):
            w = int(rng.integers(3, 30))
            col = tuple(float(c) for c in _hsv(rng.integers(180), rng.uniform(0, 150),
                                               rng.uniform(40, 230)))
            cv2.rectangle(img, (int(x), int(rng.uniform(0, hz * 0.5))), (int(x) + w, hz), col, -1)
    else:  # buildings with windows
        x = 0
        while x < width:
            bw = int(rng.integers(40, 120))
            top_y = int(rng.uniform(0, hz * 0.7))
            col = _hsv(rng.integers(180), rng.uniform(0, 90), rng.uniform(70, 210))
            cv2.rectangle(img, (x, top_y), (x + bw, hz), tuple(float(c) for c in col), -1)
            wcol = tuple(float(c) for c in col * rng.uniform(0.4, 1.4))
            for wy in range(top_y + 6, hz - 10, 16):
                for wx in range(x + 5, x + bw - 10, 14):
                    cv2.rectangle(img, (wx, wy), (wx + 7, wy + 9), wcol, -1)
            x += bw + int(rng.integers(0, 20))
    # floor grid in perspective (tiles / paving), sometimes
    if rng.random() < 0.6:
        gcol = tuple(float(c) for c in floor * rng.uniform(0.5, 0.8))
        for depth in np.arange(1.0, 40.0, rng.uniform(0.6, 1.5)):
            y = int(ground.horizon + ground.focal * ground.cam_height / depth)
            if hz < y < height:
                cv2.line(img, (0, y), (width, y), gcol, 1)
        spacing = rng.uniform(0.6, 1.5)
        for xw in np.arange(-30, 30, spacing):
            p_far = ground.project(np.array(xw), np.array(60.0), np.array(0.0))
            p_near = ground.project(np.array(xw), np.array(0.8), np.array(0.0))
            cv2.line(img, tuple(int(v) for v in p_far), tuple(int(v) for v in p_near), gcol, 1)
    # clutter: blobs and boxes of random colours standing on the ground
    for _ in range(int(rng.integers(3, 10))):
        col = tuple(float(c) for c in _hsv(rng.integers(180), rng.uniform(30, 220),
                                           rng.uniform(40, 240)))
        cx, cy = int(rng.uniform(0, width)), int(rng.uniform(hz * 0.6, height))
        size = int(rng.uniform(4, 30) * (0.5 + cy / height))
        if rng.random() < 0.5:
            cv2.rectangle(img, (cx - size, cy - 2 * size), (cx + size, cy), col, -1)
        else:
            cv2.ellipse(img, (cx, cy), (size, int(size * rng.uniform(0.4, 1.2))),
                        float(rng.uniform(0, 180)), 0, 360, col, -1)
    img = cv2.GaussianBlur(img, (3, 3), 0.8)
    return np.clip(img, 0, 255).astype(np.uint8)


def sample_camera_path(rng: np.random.Generator, num_frames: int, frame_size: tuple,
                       canvas_size: tuple, pan: bool = True, zoom: bool = True) -> CameraPath:
    """A smooth camera path that keeps the frame inside the canvas.

    Args:
        rng: Random generator.
        num_frames: T.
        frame_size: ``(w, h)`` of the frame.
        canvas_size: ``(W, H)`` of the canvas (at least the frame size).
        pan: Whether the centre moves. zoom: Whether the zoom changes.

    Returns:
        The :class:`CameraPath`.
    """
    w, h = frame_size
    cw, ch = canvas_size
    t = np.arange(num_frames, dtype=np.float64) / max(num_frames - 1, 1)
    z_base = rng.uniform(1.0, 1.15)
    z_amp = rng.uniform(0.05, 0.25) if zoom else 0.0
    zoom_t = z_base + z_amp * 0.5 * (1 - np.cos(2 * np.pi * t * rng.uniform(0.3, 1.0)
                                                + rng.uniform(0, np.pi)))
    half_w, half_h = w / (2 * zoom_t), h / (2 * zoom_t)
    if pan:
        amp_x = rng.uniform(0.2, 1.0)
        sx = amp_x * np.sin(2 * np.pi * rng.uniform(0.2, 0.7) * t + rng.uniform(0, 2 * np.pi))
        amp_y = 0.25 * rng.uniform(-1.0, 1.0)
        sy = amp_y * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * t + rng.uniform(0, 2 * np.pi))
    else:
        sx = sy = np.zeros(num_frames)
    cx = cw / 2 + sx * (cw / 2 - half_w)
    cy = ch / 2 + sy * (ch / 2 - half_h)
    centre = np.stack([np.clip(cx, half_w, cw - half_w), np.clip(cy, half_h, ch - half_h)], 1)
    return CameraPath(centre=centre, zoom=zoom_t, frame_size=(w, h))
