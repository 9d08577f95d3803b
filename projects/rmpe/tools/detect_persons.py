"""Run an mmdet person detector over the images of an annotation file; write COCO results.

    python projects/rmpe/tools/detect_persons.py ANN --img-root DIR --det-config CFG \
        --det-checkpoint CKPT --out DET.json [--score-thr 0.05] [--device cuda:0]

``ANN`` is a COCO-style annotation file (``images`` with ``id`` and ``file_name``) or mmpose's
MPII layout (a list of persons with ``image``; the image id is the integer file name stem, as
mmpose's ``MpiiDataset`` and ``MpiiMultiPersonDataset`` use). The output is a COCO detection
results list (``image_id``, ``category_id`` 1, ``bbox`` ``xywh``, ``score``): the ``bbox_file``
of the RMPE test sets, and the ``--detections`` input of ``tools/analysis/fit_dpg.py`` (run it
on the training images to fit the DPG).
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))))


def images_of(ann) -> List[Dict]:
    """``[{id, file_name}]`` of a COCO-style file or of mmpose's MPII list."""
    if isinstance(ann, dict) and 'images' in ann:
        return [dict(id=int(i['id']), file_name=i['file_name']) for i in ann['images']]
    if isinstance(ann, list):
        from plugins.evaluation.mpii_multi_person_metric import mpii_image_id
        seen = {}
        for i, a in enumerate(ann):
            if 'image' not in a:
                raise ValueError(f'person {i} has no "image" (not mmpose\'s MPII layout)')
            seen.setdefault(mpii_image_id(a['image']), a['image'])
        return [dict(id=k, file_name=v) for k, v in seen.items()]
    raise ValueError('not a COCO-style annotation file nor mmpose\'s MPII layout')


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann')
    parser.add_argument('--img-root', default='')
    parser.add_argument('--det-config', required=True)
    parser.add_argument('--det-checkpoint', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--score-thr', type=float, default=0.05)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args(argv)
    with open(args.ann) as f:
        images = images_of(json.load(f))
    from mmdet.apis import inference_detector, init_detector
    model = init_detector(args.det_config, args.det_checkpoint, device=args.device)
    classes = [c.lower() for c in model.dataset_meta.get('classes', ())]
    if 'person' not in classes:
        raise ValueError(f'{args.det_config}: the detector has no "person" class')
    person = classes.index('person')
    results = []
    for img in images:
        pred = inference_detector(model, osp.join(args.img_root, img['file_name'])).pred_instances
        keep = (pred.labels == person) & (pred.scores >= args.score_thr)
        for b, s in zip(pred.bboxes[keep].cpu().numpy(), pred.scores[keep].cpu().numpy()):
            results.append(dict(image_id=img['id'], category_id=1, score=float(s),
                                bbox=[float(b[0]), float(b[1]), float(b[2] - b[0]),
                                      float(b[3] - b[1])]))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(results, f)
    print(f'{len(results)} person boxes in {len(images)} images -> {args.out}')


if __name__ == '__main__':
    main()
