"""Result of a PoseTrack evaluation: per-joint values, grouped tables, JSON and text output."""
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from .joint_groups import GROUP_NAMES, group_members

#: Per-joint tracking quantities in :attr:`PoseTrackResult.mot`.
MOT_KEYS = ('mota', 'motp', 'precision', 'recall', 'num_switches', 'num_misses',
            'num_false_positives', 'num_objects', 'num_detections')


def _mean(values: np.ndarray, skip_nan: bool) -> float:
    if len(values) == 0:
        return float('nan')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)
        return float(np.nanmean(values) if skip_nan else np.mean(values))


@dataclass
class PoseTrackResult:
    """Per-joint PoseTrack results and their tables.

    Attributes:
        joint_names: The ``J`` scored joints.
        joint_groups: Their table groups.
        mode: ``'default'`` or ``'poseval'``.
        ap: (J,) average precision (percent).
        ap_precision: (J,) precision of all predicted joints (percent).
        ap_recall: (J,) recall of all predicted joints (percent).
        num_gt_joints: (J,) annotated ground-truth joints.
        mot: ``{key: (J,) array}`` for :data:`MOT_KEYS`, or ``None`` when tracking was not
            evaluated (predictions without track ids).
        hota: Keypoint HOTA (:func:`~.keypoint_hota.keypoint_hota`: ``per_joint`` (J,) and
            ``total`` values in percent, ``per_alpha`` (A, J) in [0, 1]), or ``None`` when not
            computed.
        num_videos: Videos evaluated. num_frames: Evaluated frames.
    """

    joint_names: List[str]
    joint_groups: List[str]
    mode: str
    ap: np.ndarray
    ap_precision: np.ndarray
    ap_recall: np.ndarray
    num_gt_joints: np.ndarray
    mot: Optional[Dict[str, np.ndarray]] = None
    hota: Optional[dict] = None
    num_videos: int = 0
    num_frames: int = 0
    notes: List[str] = field(default_factory=list)

    # ------------------------------------------------------------------ tables
    def _grouped(self, values: np.ndarray) -> Dict[str, float]:
        """Group means (poseval: plain mean; default: NaN-skipping) and the Total."""
        skip = self.mode != 'poseval'
        members = group_members(self.joint_groups)
        out = {g: _mean(values[members[g]], skip) for g in GROUP_NAMES}
        out['Total'] = _mean(values, True)
        return out

    def ap_table(self) -> Dict[str, float]:
        """``{Head, Shoulder, Elbow, Wrist, Hip, Knee, Ankle, Total}`` AP (Total = mAP)."""
        return self._grouped(self.ap)

    def mota_table(self) -> Dict[str, float]:
        """MOTA per group and Total, then MOTP / Precision / Recall / IDSW totals.

        Totals are means over joints (ID switches: mean count per joint). Empty dict when
        tracking was not evaluated.
        """
        if self.mot is None:
            return {}
        out = self._grouped(self.mot['mota'])
        out['MOTP'] = _mean(self.mot['motp'], True)
        out['Precision'] = _mean(self.mot['precision'], True)
        out['Recall'] = _mean(self.mot['recall'], True)
        out['IDSW'] = _mean(self.mot['num_switches'], True)
        return out

    def hota_table(self) -> Dict[str, float]:
        """``HOTA`` per group and Total, then ``DetA``, ``AssA``, ``LocA``, ``DetRe``,
        ``DetPr``, ``AssRe``, ``AssPr`` totals (percent, mean over the 19 thresholds). Empty
        when HOTA was not computed."""
        if self.hota is None:
            return {}
        members = group_members(self.joint_groups)
        per = self.hota['per_joint']['HOTA']
        out = {g: _mean(per[members[g]], True) for g in GROUP_NAMES}
        out['Total'] = float(self.hota['total']['HOTA'])
        for k in ('DetA', 'AssA', 'LocA', 'DetRe', 'DetPr', 'AssRe', 'AssPr'):
            out[k] = float(self.hota['total'][k])
        return out

    def summary(self) -> Dict[str, float]:
        """Flat ``{name: value}`` for loggers: ``AP_<group>``, ``mAP``, ``MOTA_<group>``,
        ``MOTA``, ``MOTP``, ``Precision``, ``Recall``, ``IDSW``; with HOTA also ``HOTA``,
        ``HOTA_<group>``, ``DetA``, ``AssA``, ``LocA``, ``DetRe``, ``DetPr``, ``AssRe``,
        ``AssPr``."""
        out = {}
        for g, v in self.ap_table().items():
            out['mAP' if g == 'Total' else f'AP_{g}'] = v
        for g, v in self.mota_table().items():
            if g == 'Total':
                out['MOTA'] = v
            elif g in GROUP_NAMES:
                out[f'MOTA_{g}'] = v
            else:
                out[g] = v
        for g, v in self.hota_table().items():
            if g == 'Total':
                out['HOTA'] = v
            elif g in GROUP_NAMES:
                out[f'HOTA_{g}'] = v
            else:
                out[g] = v
        return out

    def to_dict(self) -> dict:
        """JSON-serialisable result (NaN written as ``null``)."""

        def clean(a):
            return [None if (isinstance(x, float) and np.isnan(x)) else x
                    for x in np.asarray(a, np.float64).tolist()]

        def clean_d(d):
            return {k: (None if np.isnan(v) else v) for k, v in d.items()}

        out = dict(mode=self.mode, num_videos=self.num_videos, num_frames=self.num_frames,
                   joint_names=list(self.joint_names), joint_groups=list(self.joint_groups),
                   ap_table=clean_d(self.ap_table()),
                   per_joint=dict(ap=clean(self.ap), precision=clean(self.ap_precision),
                                  recall=clean(self.ap_recall),
                                  num_gt_joints=clean(self.num_gt_joints)),
                   notes=list(self.notes))
        if self.mot is not None:
            out['mota_table'] = clean_d(self.mota_table())
            out['per_joint_mot'] = {k: clean(v) for k, v in self.mot.items()}
        if self.hota is not None:
            out['hota_table'] = clean_d(self.hota_table())
            out['per_joint_hota'] = {k: clean(v) for k, v in self.hota['per_joint'].items()}
            out['hota_alphas'] = clean(self.hota['alphas'])
            out['per_alpha_hota'] = {k: [clean(r) for r in np.asarray(v).T]
                                     for k, v in self.hota['per_alpha'].items()}
        return out

    def format_tables(self) -> str:
        """The AP and MOTA tables as text (columns as in the official tool)."""

        def row(cells: Dict[str, float]) -> str:
            return ' | '.join(f'{v:6.1f}' if not np.isnan(v) else '   nan'
                              for v in cells.values())

        def header(cells: Dict[str, float]) -> str:
            return ' | '.join(f'{k[:6]:>6}' for k in cells)

        ap = self.ap_table()
        lines = [f'PoseTrack evaluation (mode={self.mode}, {self.num_videos} videos, '
                 f'{self.num_frames} frames)', 'Average Precision (AP):', header(ap), row(ap)]
        mot = self.mota_table()
        if mot:
            lines += ['Multiple Object Tracking (MOTA per group; totals):', header(mot),
                      row(mot)]
        elif self.hota is None:
            lines.append('Tracking not evaluated (no track ids).')
        hota = self.hota_table()
        if hota:
            lines += ['Keypoint HOTA (HOTA per group; totals):', header(hota), row(hota)]
        return '\n'.join(lines)
