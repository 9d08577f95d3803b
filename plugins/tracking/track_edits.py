"""What the per-video post-processors change in a tracked video: :class:`TrackEdits`."""
from dataclasses import dataclass, field
from typing import Dict, Iterable, Mapping, Optional, Set

import numpy as np
from mmengine.structures import InstanceData


@dataclass
class TrackEdits:
    """Changes of a whole video's tracking result, applied frame by frame by the sinks.

    Applying them to frame ``f``'s online result (:meth:`apply`): every ``track_id`` becomes
    ``id_map.get(id, id)``; persons whose (mapped) id is in ``dropped`` are removed; the poses
    of ``inserted[f]`` (with final ``track_ids``) are appended.

    Args:
        id_map: online track id -> final track id (ids not in it are kept).
        dropped: final ids removed from the output (e.g. too-short tracks).
        inserted: frame index -> poses to add (``InstanceData`` with the pose fields and
            final ``track_ids``; e.g. interpolated gaps).
    """

    id_map: Dict[int, int] = field(default_factory=dict)
    dropped: Set[int] = field(default_factory=set)
    inserted: Dict[int, InstanceData] = field(default_factory=dict)

    @property
    def is_identity(self) -> bool:
        """Whether applying the edits changes nothing."""
        return (not self.dropped and not self.inserted and
                all(int(k) == int(v) for k, v in self.id_map.items()))

    def final_id(self, online_id: int) -> int:
        """The final id of an online id."""
        return int(self.id_map.get(int(online_id), int(online_id)))

    def remap(self, mapping: Mapping[int, int]) -> 'TrackEdits':
        """These edits followed by a renaming ``final id -> newer id`` (a chained
        post-processor's merge); dropped and inserted ids are renamed too."""
        mapping = {int(k): int(v) for k, v in mapping.items()}
        ids = set(self.id_map) | set(mapping)
        id_map = {}
        for online in ids:
            mid = self.final_id(online)
            id_map[online] = mapping.get(mid, mid)
        inserted = {}
        for f, inst in self.inserted.items():
            new = inst.clone()
            new.track_ids = np.array([mapping.get(int(t), int(t)) for t in inst.track_ids],
                                     np.int64)
            inserted[f] = new
        return TrackEdits(id_map=id_map,
                          dropped={mapping.get(int(t), int(t)) for t in self.dropped},
                          inserted=inserted)

    def drop(self, final_ids: Iterable[int]) -> 'TrackEdits':
        """These edits with more final ids dropped."""
        return TrackEdits(dict(self.id_map), self.dropped | {int(t) for t in final_ids},
                          dict(self.inserted))

    def insert(self, frame_index: int, poses: InstanceData) -> 'TrackEdits':
        """These edits with ``poses`` (final ``track_ids``) added to frame ``frame_index``."""
        inserted = dict(self.inserted)
        if frame_index in inserted and len(inserted[frame_index]):
            poses = InstanceData.cat([inserted[frame_index], poses])
        inserted[int(frame_index)] = poses
        return TrackEdits(dict(self.id_map), set(self.dropped), inserted)

    def apply(self, frame_index: int, result: InstanceData) -> InstanceData:
        """The final result of one frame.

        Args:
            frame_index: 0-based index of the frame in its video.
            result: the online result (with ``track_ids``); not modified.

        Returns:
            A new ``InstanceData``.
        """
        out = result.clone()
        if len(out):
            ids = np.asarray(out.track_ids).reshape(-1)
            out.track_ids = np.array([self.final_id(t) for t in ids], np.int64)
            if self.dropped:  # set lookups: the dropped ids of a long video can be many
                keep = np.array([int(t) not in self.dropped for t in out.track_ids], bool)
                if not keep.all():
                    out = out[keep]
        extra: Optional[InstanceData] = self.inserted.get(int(frame_index))
        if extra is not None and len(extra):
            extra = extra[np.array([int(t) not in self.dropped
                                    for t in np.asarray(extra.track_ids)], bool)]
            if len(out) == 0:
                return extra.clone()
            fields = [k for k in out.keys() if k in extra.keys()]
            out = InstanceData.cat([_only(out, fields), _only(extra, fields)])
        return out


def _only(inst: InstanceData, fields) -> InstanceData:
    out = InstanceData()
    for key in fields:
        out.set_field(inst.get(key), key)
    return out


def edits_from_results(online: Iterable[InstanceData], final: Iterable[InstanceData],
                       who: str = 'the offline pass') -> TrackEdits:
    """The id map that turns ``online`` per-frame results into ``final`` ones (same persons
    in the same order, only ``track_ids`` changed), e.g. from an old ``finalize(results)``.

    Raises:
        ValueError: a frame changed its persons, or one online id got two final ids.
    """
    id_map: Dict[int, int] = {}
    for f, (a, b) in enumerate(zip(online, final)):
        if len(a) != len(b):
            raise ValueError(f'{who} changed the number of persons of frame {f} '
                             f'({len(a)} -> {len(b)}): only id changes can be streamed')
        for t0, t1 in zip(np.asarray(a.track_ids).tolist(), np.asarray(b.track_ids).tolist()):
            if id_map.setdefault(int(t0), int(t1)) != int(t1):
                raise ValueError(f'{who} gave online track {t0} two final ids '
                                 f'({id_map[int(t0)]} and {t1}, frame {f})')
    return TrackEdits(id_map=id_map)
