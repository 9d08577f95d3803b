"""One synthetic multi-person video: people + scene + camera -> frames and PoseTrack annotations.

:class:`SyntheticVideo` samples the people (body shape, appearance, motion), anchors walkers so
that their paths cross near a common meeting point (crossings and occlusions are frequent),
optionally adds a far-away crowd covered by an ignore region, and renders frame by frame. The
annotation of every frame follows the rendering: a keypoint is visible when it lies inside the
frame, no nearer person covers its pixel in the label buffer, and (face points) it is on the side
of the head that faces the camera.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from ..posetrack_json import FrameAnnotation
from .appearance import PART_IDS, PersonAppearance, sample_appearance
from .motion import PersonMotion, synthesize_motion
from .renderer import (ColourTables, Primitive, RenderPerson, composite, draw_label_buffer,
                       label_person, motion_blur)
from .scene import CameraPath, GroundCamera, render_background, sample_camera_path
from .skeleton import BodyShape, forward_kinematics, rotate_yaw, sample_body_shape

# body points the renderer and the annotations use (index into the per-person point arrays)
BODY_POINTS: Tuple[str, ...] = (
    'pelvis', 'neck', 'head_bottom', 'head_centre', 'head_top', 'nose', 'l_eye', 'r_eye',
    'l_ear', 'r_ear', 'l_shoulder', 'r_shoulder', 'l_elbow', 'r_elbow', 'l_wrist', 'r_wrist',
    'l_hand', 'r_hand', 'l_hip', 'r_hip', 'l_knee', 'r_knee', 'l_ankle', 'r_ankle', 'l_toe',
    'r_toe') + tuple(f'torso_{i}' for i in range(8))
_P = {n: i for i, n in enumerate(BODY_POINTS)}
FACE_POINTS = ('nose', 'l_eye', 'r_eye', 'l_ear', 'r_ear')
# dataset joint names of other layouts (MPII: the thorax is the neck base, the upper neck the
# bottom of the head)
_ALIASES = {'thorax': 'neck', 'upper_neck': 'head_bottom'}


def body_point_name(keypoint_name: str) -> str:
    """Body-model point of a dataset keypoint name (``left_wrist`` -> ``l_wrist``).

    Raises:
        KeyError: The body model has no such point.
    """
    name = _ALIASES.get(keypoint_name,
                        keypoint_name.replace('left_', 'l_').replace('right_', 'r_'))
    if name not in _P:
        raise KeyError(f'synthetic body model has no point for keypoint {keypoint_name!r}')
    return name


@dataclass
class SyntheticVideoConfig:
    """Parameters of a synthetic video.

    Attributes:
        width, height: Frame size.
        num_frames: T.
        fps: Frame rate (sets how far people move between frames).
        min_persons, max_persons: Number of annotated people (inclusive range).
        crowd_prob: Probability of a far crowd covered by an ignore region.
        blur_prob: Probability of motion blur in a video.
        pan_prob, zoom_prob: Probabilities of camera panning / zooming.
        follower_prob: Probability that a walker is followed closely by another person
            (long occlusions).
    """

    width: int = 384
    height: int = 288
    num_frames: int = 40
    fps: float = 10.0
    min_persons: int = 2
    max_persons: int = 5
    crowd_prob: float = 0.3
    blur_prob: float = 0.3
    pan_prob: float = 0.7
    zoom_prob: float = 0.5
    follower_prob: float = 0.35


@dataclass
class SyntheticPerson:
    """A simulated person: proportions, appearance and world points of every frame.

    Attributes:
        shape: Body proportions.
        appearance: Colours and textures.
        motion: Joint angles and path (absolute ground position).
        world: (T, len(BODY_POINTS), 3) world points ``(X, Z, up)`` in metres.
        body: (T, len(BODY_POINTS), 3) camera-aligned body offsets (for face orientation).
        is_crowd: Crowd members are drawn but not annotated.
    """

    shape: BodyShape
    appearance: PersonAppearance
    motion: PersonMotion
    world: np.ndarray
    body: np.ndarray
    is_crowd: bool = False

    @property
    def root_depth(self) -> np.ndarray:
        """(T,) depth of the pelvis."""
        return self.world[:, _P['pelvis'], 1]


def make_person(rng: np.random.Generator, cfg: SyntheticVideoConfig, role: str,
                heading: float, speed: float, anchor_xz: Tuple[float, float], anchor_t: int,
                height: Optional[float] = None, is_crowd: bool = False,
                depth_range: Tuple[float, float] = (2.4, 12.0),
                motion: Optional[PersonMotion] = None) -> SyntheticPerson:
    """Sample a person whose path passes ``anchor_xz`` at frame ``anchor_t`` (or reuse
    ``motion``'s path and angles, e.g. for a follower)."""
    shape = sample_body_shape(rng, height)
    if motion is None:
        motion = synthesize_motion(rng, cfg.num_frames, cfg.fps, role, heading, speed)
    motion.x = motion.x - motion.x[anchor_t] + anchor_xz[0]
    motion.z = np.clip(motion.z - motion.z[anchor_t] + anchor_xz[1], *depth_range)
    pts = forward_kinematics(shape, motion.angles)
    body = rotate_yaw(pts, motion.yaw)
    offs = np.stack([body[n] for n in BODY_POINTS], axis=1)  # (T, N, 3)
    world = offs.copy()
    world[..., 0] += motion.x[:, None]
    world[..., 1] += motion.z[:, None]
    return SyntheticPerson(shape, sample_appearance(rng), motion, world, offs, is_crowd)


def _delayed(motion: PersonMotion, lag: int) -> PersonMotion:
    """The same motion ``lag`` frames later (the first frames repeat the start)."""
    idx = np.clip(np.arange(len(motion.yaw)) - lag, 0, None)
    return PersonMotion(x=motion.x[idx], z=motion.z[idx], yaw=motion.yaw[idx],
                        angles={k: v[idx] for k, v in motion.angles.items()},
                        actions=[motion.actions[i] for i in idx])


def primitives_extent(prims: Sequence[Primitive]) -> np.ndarray:
    """Tight ``xyxy`` box around drawn primitives (points grown by their radii)."""
    lo = np.array([np.inf, np.inf])
    hi = -lo
    for q in prims:
        lo = np.minimum(lo, q.points.min(0) - q.radius)
        hi = np.maximum(hi, q.points.max(0) + q.radius)
    return np.concatenate([lo, hi]).astype(np.float32)


class SyntheticVideo:
    """A sampled synthetic video; :meth:`frames` renders it.

    Args:
        cfg: Video parameters.
        rng: Random generator (the video is a deterministic function of its state).
        keypoint_names: Dataset keypoint names in output order (e.g. PoseTrack18's 17).
        people: Annotated people to use instead of sampling them (constructed scenes).
        crowd: Crowd members to use instead of sampling (``[]`` for none).
    """

    def __init__(self, cfg: SyntheticVideoConfig, rng: np.random.Generator,
                 keypoint_names: Sequence[str],
                 people: Optional[List[SyntheticPerson]] = None,
                 crowd: Optional[List[SyntheticPerson]] = None) -> None:
        self.cfg = cfg
        self.keypoint_names = list(keypoint_names)
        self._kpt_index = np.array([_P[body_point_name(n)] for n in self.keypoint_names])
        self._face_mask = np.array([body_point_name(n) in FACE_POINTS
                                    for n in self.keypoint_names])
        w, h = cfg.width, cfg.height
        self.canvas_size = (int(round(w * 1.4)), int(round(h * 1.25)))
        cw, ch = self.canvas_size
        self.ground = GroundCamera(focal=h * rng.uniform(1.15, 1.45), cx=cw / 2,
                                   horizon=ch * rng.uniform(0.36, 0.47),
                                   cam_height=rng.uniform(1.3, 1.8))
        self.background = render_background(rng, cw, ch, self.ground)
        self.camera: CameraPath = sample_camera_path(
            rng, cfg.num_frames, (w, h), self.canvas_size, pan=rng.random() < cfg.pan_prob,
            zoom=rng.random() < cfg.zoom_prob)
        ang = rng.uniform(-np.pi * 0.9, -np.pi * 0.1)  # light from above
        self.light = np.array([np.cos(ang), np.sin(ang)])
        self.blur = rng.random() < cfg.blur_prob
        self.blur_length = rng.uniform(3, 7)
        self.noise_sigma = rng.uniform(1.0, 4.0)
        self.people: List[SyntheticPerson] = (self._sample_people(rng) if people is None
                                              else list(people))
        if crowd is None:
            crowd = self._sample_crowd(rng) if rng.random() < cfg.crowd_prob else []
        self.crowd: List[SyntheticPerson] = list(crowd)
        everyone = self.people + self.crowd
        self.tables = ColourTables.build([p.appearance for p in everyone])
        self._canvas_pts = [self.ground.project(p.world[..., 0], p.world[..., 1],
                                                p.world[..., 2]) for p in everyone]
        self._noise_rng = np.random.default_rng(rng.integers(1 << 31))

    # ------------------------------------------------------------------ sampling
    def _sample_people(self, rng: np.random.Generator) -> List[SyntheticPerson]:
        cfg = self.cfg
        t = cfg.num_frames
        n = int(rng.integers(cfg.min_persons, cfg.max_persons + 1))
        meet_z = rng.uniform(3.5, 7.0)
        meet_t = rng.uniform(0.3, 0.7) * (t - 1)
        # horizontal canvas range the camera sees at a frame
        view = lambda k: (self.camera.centre[k, 0],  # noqa: E731
                          0.5 * cfg.width / self.camera.zoom[k])
        centre, half = view(int(meet_t))
        meet_u = centre + rng.uniform(-0.4, 0.4) * half
        people: List[SyntheticPerson] = []
        while len(people) < n:
            role = 'walker' if rng.random() < 0.65 else 'stander'
            if role == 'walker':
                side = rng.choice([-1.0, 1.0])
                heading = side * rng.uniform(np.radians(55), np.radians(125))
                speed = rng.uniform(0.8, 1.6)
                z = float(np.clip(meet_z + rng.normal(0, 1.2), 2.6, 9.0))
                u = meet_u + rng.normal(0, 0.25) * half
                at = int(np.clip(meet_t + rng.normal(0, 0.15) * t, 0, t - 1))
            else:
                heading = rng.uniform(-np.pi, np.pi) * rng.choice([0.4, 1.0])
                speed = rng.uniform(0.5, 1.0)
                z = rng.uniform(2.6, 9.0)
                at = int(rng.integers(t))
                centre, half_at = view(at)
                u = centre + rng.uniform(-0.8, 0.8) * half_at
            x = float(self.ground.x_at(u, z))
            person = make_person(rng, cfg, role, heading, speed, (x, z), at)
            people.append(person)
            if role == 'walker' and len(people) < n and rng.random() < cfg.follower_prob:
                # a follower: the leader's path and gait a moment later, further back and
                # to the side (long occlusions)
                lag = int(rng.integers(2, max(3, int(0.8 * cfg.fps))))
                offset = (rng.uniform(-0.5, 0.5), rng.uniform(0.6, 1.8))
                follower = make_person(
                    rng, cfg, 'walker', heading, speed, (x + offset[0], z + offset[1]), at,
                    motion=_delayed(person.motion, lag))
                people.append(follower)
        return people

    def _sample_crowd(self, rng: np.random.Generator) -> List[SyntheticPerson]:
        cw = self.canvas_size[0]
        u0 = rng.uniform(0.05, 0.6) * cw
        width = rng.uniform(0.2, 0.35) * cw
        crowd = []
        for _ in range(int(rng.integers(5, 11))):
            z = rng.uniform(12.0, 16.0)
            x = float(self.ground.x_at(u0 + rng.uniform(0, width), z))
            crowd.append(make_person(rng, self.cfg, 'stander', rng.uniform(-np.pi, np.pi),
                                     0.4, (x, z), 0, is_crowd=True,
                                     depth_range=(11.0, 20.0)))
        return crowd

    # ------------------------------------------------------------------ rendering
    def _primitives(self, person: SyntheticPerson, pts: np.ndarray, t: int,
                    px_per_m: float) -> List[Primitive]:
        """Parts of one person in frame ``t`` (``pts`` (N, 2) frame pixels)."""
        s = person.shape
        dep = person.world[t, :, 1]
        P = _P
        prims: List[Primitive] = []

        def cap(a: str, b: str, part: str, radius: float) -> None:
            prims.append(Primitive('capsule', PART_IDS[part], 0.5 * (dep[P[a]] + dep[P[b]]),
                                   pts[[P[a], P[b]]], radius * px_per_m))

        torso_idx = [P[f'torso_{i}'] for i in range(8)]
        hull = cv2.convexHull(pts[torso_idx].astype(np.float32)).reshape(-1, 2)
        prims.append(Primitive('poly', PART_IDS['torso'], float(dep[torso_idx].mean()), hull))
        cap('neck', 'head_bottom', 'neck', s.neck_radius)
        for side in ('l', 'r'):
            cap(f'{side}_shoulder', f'{side}_elbow', 'upper_arm', s.arm_radius)
            cap(f'{side}_elbow', f'{side}_wrist', 'forearm', s.forearm_radius)
            cap(f'{side}_wrist', f'{side}_hand', 'hand', s.forearm_radius * 0.95)
            cap(f'{side}_hip', f'{side}_knee', 'thigh', s.thigh_radius)
            cap(f'{side}_knee', f'{side}_ankle', 'shin', s.shin_radius)
            cap(f'{side}_ankle', f'{side}_toe', 'foot', s.shin_radius * 0.75)
        # head: hair disc, face disc shifted towards the nose, eyes when facing the camera
        body = person.body[t]
        c = pts[P['head_centre']]
        r = s.head_radius * px_per_m * 1.05
        fwd = pts[P['nose']] - c
        face_towards = body[P['nose'], 1] - body[P['head_centre'], 1]  # < 0: towards camera
        head_depth = float(dep[P['head_centre']])
        up = pts[P['head_top']] - c
        up = up / max(np.linalg.norm(up), 1e-6)
        prims.append(Primitive('disc', PART_IDS['hair'], head_depth + 1e-3,
                               (c + 0.12 * r * up)[None], r * 1.02))
        if face_towards < 0.3 * s.head_radius:
            prims.append(Primitive('disc', PART_IDS['face'], head_depth,
                                   (c + 0.35 * fwd - 0.12 * r * up)[None], r * 0.9))
            for side in ('l', 'r'):
                e = P[f'{side}_eye']
                if body[e, 1] - body[P['head_centre'], 1] < -0.3 * s.head_radius:
                    prims.append(Primitive('disc', PART_IDS['eye'], head_depth - 1e-3,
                                           pts[e][None], max(0.1 * r, 0.6), shaded=False))
        return prims

    def person_points(self, index: int, t: int) -> Tuple[np.ndarray, float]:
        """Frame-pixel body points ``(len(BODY_POINTS), 2)`` and pixels per metre of person
        ``index`` (annotated people first, then the crowd) in frame ``t``."""
        person = (self.people + self.crowd)[index]
        pts = self.camera.apply(t, self._canvas_pts[index][t])
        px_per_m = self.ground.focal / float(person.root_depth[t]) * float(self.camera.zoom[t])
        return pts, px_per_m

    def person_primitives(self, index: int, t: int) -> List[Primitive]:
        """The drawn parts of person ``index`` in frame ``t`` (frame pixels)."""
        pts, px_per_m = self.person_points(index, t)
        return self._primitives((self.people + self.crowd)[index], pts, t, px_per_m)

    def frames(self) -> Iterator[Tuple[np.ndarray, List[dict], List[np.ndarray], np.ndarray]]:
        """Render every frame.

        Yields:
            ``(image, persons, ignore_regions, label)`` per frame: the BGR uint8 image, one dict
            per annotated person (``track_id``, ``keypoints`` (K, 2), ``visible`` (K,) bool,
            ``bbox`` / ``head_bbox`` xyxy), crowd ignore polygons and the label buffer.
        """
        cfg = self.cfg
        w, h = cfg.width, cfg.height
        everyone = self.people + self.crowd
        n_main = len(self.people)
        for t in range(cfg.num_frames):
            bg = cv2.warpAffine(self.background, self.camera.matrix(t), (w, h),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            anchors = np.zeros((len(everyone) + 1, 2))
            scales = np.ones(len(everyone) + 1)
            render: List[RenderPerson] = []
            frame_pts: List[np.ndarray] = []
            for i, person in enumerate(everyone):
                pts, px_per_m = self.person_points(i, t)
                frame_pts.append(pts)
                depth = float(person.root_depth[t])
                margin = 0.4 * px_per_m
                lo, hi = pts.min(0) - margin, pts.max(0) + margin
                anchors[i + 1] = pts[_P['pelvis']]
                scales[i + 1] = px_per_m
                if hi[0] < 0 or hi[1] < 0 or lo[0] >= w or lo[1] >= h:
                    continue
                prims = self._primitives(person, pts, t, px_per_m)
                render.append(RenderPerson(i + 1, prims, pts[_P['pelvis']], px_per_m, depth,
                                           primitives_extent(prims)))
            label = draw_label_buffer((w, h), render, self.light)
            img = composite(bg, label, self.tables, anchors, scales)
            img = cv2.GaussianBlur(img, (3, 3), 0.6)
            if self.blur:
                vel = self.camera.centre[min(t + 1, cfg.num_frames - 1)] - \
                    self.camera.centre[max(t - 1, 0)]
                direction = vel if np.linalg.norm(vel) > 0.5 else np.array([1.0, 0.0])
                img = motion_blur(img, direction, self.blur_length)
            amp = int(round(self.noise_sigma * 1.7))  # uniform noise of std ~ noise_sigma
            noise = self._noise_rng.integers(-amp, amp + 1, img.shape, dtype=np.int16)
            img = cv2.add(img, noise, dtype=cv2.CV_8U)  # saturating
            persons = self._annotate(t, label, frame_pts[:n_main], render)
            ignore = self._crowd_regions(render, n_main)
            yield img, persons, ignore, label

    def _annotate(self, t: int, label: np.ndarray, frame_pts: List[np.ndarray],
                  render: List[RenderPerson]) -> List[dict]:
        """Keypoints, visibility and boxes of the annotated people in frame ``t``."""
        w, h = self.cfg.width, self.cfg.height
        n_main = len(self.people)
        if not frame_pts:
            return []
        # rank of each person index by depth (larger = nearer); background and crowd are far
        depth = np.array([p.root_depth[t] for p in self.people + self.crowd])
        nearness = np.full(len(depth) + 1, -np.inf)
        nearness[1:] = -depth
        kpts = np.stack([p[self._kpt_index] for p in frame_pts])  # (N, K, 2)
        xi = np.floor(kpts[..., 0]).astype(np.int64)
        yi = np.floor(kpts[..., 1]).astype(np.int64)
        inside = (xi >= 0) & (yi >= 0) & (xi < w) & (yi < h)
        front = np.zeros(xi.shape, np.int64)
        front[inside] = label_person(label[yi[inside], xi[inside]])
        own = np.arange(1, n_main + 1)[:, None]
        occluded = (front != own) & (nearness[front] > nearness[own])
        # face points on the far side of the head are hidden by the head itself
        body = np.stack([p.body[t] for p in self.people])  # (N, B, 3)
        towards = body[:, self._kpt_index, 1] - body[:, _P['head_centre'], 1][:, None]
        radius = np.array([p.shape.head_radius for p in self.people])[:, None]
        hidden_face = self._face_mask[None, :] & (towards > 0.4 * radius)
        visible = inside & ~occluded & ~hidden_face
        by_pid = {r.pid: r for r in render}
        persons = []
        for i in range(n_main):
            if not visible[i].any() or (i + 1) not in by_pid:
                continue
            ext = by_pid[i + 1].extent
            box = np.array([max(ext[0], 0), max(ext[1], 0), min(ext[2], w - 1),
                            min(ext[3], h - 1)], np.float32)
            if box[2] - box[0] < 2 or box[3] - box[1] < 2:
                continue
            pts = frame_pts[i]
            r = self.people[i].shape.head_radius * by_pid[i + 1].scale * 1.1
            head_pts = pts[[_P['head_top'], _P['head_bottom'], _P['head_centre']]]
            head = np.array([head_pts[:, 0].min() - r, head_pts[:, 1].min() - 0.2 * r,
                             head_pts[:, 0].max() + r, head_pts[:, 1].max() + 0.2 * r],
                            np.float32)
            persons.append(dict(track_id=i, keypoints=kpts[i].astype(np.float32),
                                visible=visible[i], bbox=box, head_bbox=head))
        return persons

    def _crowd_regions(self, render: List[RenderPerson], n_main: int) -> List[np.ndarray]:
        """One rectangle (clipped to the frame) around the rendered crowd, if any."""
        ext = [r.extent for r in render if r.pid > n_main]
        if not ext:
            return []
        e = np.stack(ext)
        w, h = self.cfg.width, self.cfg.height
        x1, y1 = np.clip(e[:, 0].min() - 2, 0, w - 1), np.clip(e[:, 1].min() - 2, 0, h - 1)
        x2, y2 = np.clip(e[:, 2].max() + 2, 0, w - 1), np.clip(e[:, 3].max() + 2, 0, h - 1)
        if x2 - x1 < 2 or y2 - y1 < 2:
            return []
        return [np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)]


def render_video_annotations(video: SyntheticVideo, name: str, vid_num: int, split: str,
                             image_ext: str = 'jpg') -> Iterator[Tuple[np.ndarray,
                                                                       FrameAnnotation]]:
    """Render a video and wrap each frame's annotation as a :class:`FrameAnnotation`.

    Image ids follow the PoseTrack18 scheme ``1 VVVVVV FFFF`` (video number, frame index), so
    they are unique across videos; file names are ``images/{split}/{name}/{frame:06d}.jpg``.

    Yields:
        ``(image, frame_annotation)`` per frame.
    """
    cfg = video.cfg
    k = len(video.keypoint_names)
    for t, (img, persons, ignore, _) in enumerate(video.frames()):
        image_id = 10_000_000_000 + vid_num * 10_000 + t
        n = len(persons)
        frame = FrameAnnotation(
            image_id=image_id, file_name=f'images/{split}/{name}/{t:06d}.{image_ext}',
            frame_index=t, is_labeled=True,
            keypoints=np.stack([p['keypoints'] for p in persons]) if n else
            np.zeros((0, k, 2), np.float32),
            keypoint_scores=np.stack([p['visible'] for p in persons]).astype(np.float32) if n
            else np.zeros((0, k), np.float32),
            track_ids=np.array([p['track_id'] for p in persons], np.int64),
            bboxes=np.stack([p['bbox'] for p in persons]) if n else np.zeros((0, 4)),
            head_bboxes=np.stack([p['head_bbox'] for p in persons]) if n else np.zeros((0, 4)),
            ignore_regions=ignore, width=cfg.width, height=cfg.height,
            extra=dict(frame_id=image_id, vid_id=f'{vid_num:06d}', nframes=cfg.num_frames))
        yield img, frame
