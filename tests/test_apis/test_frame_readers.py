"""Frame sources: video files, frame folders, and every kind of bad input."""
import os

import cv2
import numpy as np
import pytest

from plugins.apis.frame_readers import (EmptyVideoError, FrameFolderReader, FrameReadError,
                                        FrameSizeError, VideoFileReader, open_frame_reader)


def make_frames(n=6, h=48, w=64):
    """Frames with a distinct mean brightness each (so their order can be checked)."""
    return [np.full((h, w, 3), (20 + 19 * i) % 256, np.uint8) for i in range(n)]


def write_video(path, frames, fps=10):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(f)
    writer.release()


def write_folder(folder, frames, ext='.png'):
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f'{i}{ext}'), f)


def test_video_file_frames_in_order(tmp_path):
    frames = make_frames()
    write_video(tmp_path / 'clip.avi', frames)
    reader = open_frame_reader(str(tmp_path / 'clip.avi'))
    assert isinstance(reader, VideoFileReader) and reader.name == 'clip' and len(reader) == 6
    got = list(reader)
    assert [f.index for f in got] == list(range(6))
    assert [f.name for f in got] == [f'{i:06d}.jpg' for i in range(6)]
    means = [f.image.mean() for f in got]
    np.testing.assert_allclose(means, [f.mean() for f in frames], atol=3)


def test_truncated_video_raises_after_the_readable_frames(tmp_path):
    rng = np.random.default_rng(0)  # noisy frames: large JPEGs, so the cut lands mid-stream
    frames = [rng.integers(0, 255, (48, 64, 3), dtype=np.uint8) for _ in range(12)]
    write_video(tmp_path / 'full.avi', frames)
    data = (tmp_path / 'full.avi').read_bytes()
    (tmp_path / 'cut.avi').write_bytes(data[:int(data.find(b'idx1') * 0.6)])
    reader = open_frame_reader(str(tmp_path / 'cut.avi'))
    assert len(reader) == 12  # the header survived the cut
    seen = []
    with pytest.raises(FrameReadError, match=r'cut\.avi: decoding stopped at frame \d+ .*'
                       r'declares 12 frames \(truncated'):
        for frame in reader:
            seen.append(frame.index)
    assert 0 < len(seen) < 12 and seen == list(range(len(seen)))
    np.testing.assert_allclose(frame.image.mean(), frames[seen[-1]].mean(), atol=3)


def test_unreadable_and_missing_video(tmp_path):
    (tmp_path / 'junk.mp4').write_bytes(b'this is not a video' * 10)
    with pytest.raises(FrameReadError, match='junk.mp4'):
        list(open_frame_reader(str(tmp_path / 'junk.mp4')))
    (tmp_path / 'empty.mp4').write_bytes(b'')
    with pytest.raises(EmptyVideoError, match='empty.mp4'):
        open_frame_reader(str(tmp_path / 'empty.mp4'))
    with pytest.raises(FrameReadError, match='nothing_here'):
        open_frame_reader(str(tmp_path / 'nothing_here.mp4'))


def test_folder_natural_order_and_non_image_files_skipped_with_warning(tmp_path):
    frames = make_frames(n=12)
    write_folder(tmp_path / 'v', frames)
    (tmp_path / 'v' / 'notes.txt').write_text('not a frame')
    (tmp_path / 'v' / 'sub').mkdir()
    with pytest.warns(UserWarning, match=r'skipping 2 entries.*notes\.txt'):
        reader = open_frame_reader(str(tmp_path / 'v'))
    assert isinstance(reader, FrameFolderReader) and len(reader) == 12
    got = list(reader)
    assert [f.name for f in got] == [f'{i}.png' for i in range(12)]  # 2 before 10
    np.testing.assert_array_equal(got[11].image, frames[11])


def test_folder_corrupt_image_is_an_error_naming_it(tmp_path):
    write_folder(tmp_path / 'v', make_frames(n=3))
    (tmp_path / 'v' / '3.png').write_bytes(b'garbage')
    with pytest.raises(FrameReadError, match=r'3\.png'):
        list(open_frame_reader(str(tmp_path / 'v')))


def test_zero_frames(tmp_path):
    (tmp_path / 'v').mkdir()
    (tmp_path / 'v' / 'readme.md').write_text('x')
    with pytest.warns(UserWarning), pytest.raises(EmptyVideoError, match='no image files'):
        open_frame_reader(str(tmp_path / 'v'))


def test_frames_of_changing_size_name_the_frame(tmp_path):
    frames = make_frames(n=4)
    frames[2] = np.zeros((40, 64, 3), np.uint8)
    write_folder(tmp_path / 'v', frames)
    seen = []
    with pytest.raises(FrameSizeError, match=r'frame 2 \(2\.png\) is 64x40'):
        for f in open_frame_reader(str(tmp_path / 'v')):
            seen.append(f.index)
    assert seen == [0, 1]


def test_shared_real_video_and_frames_agree(shared_data_root):
    folder = shared_data_root / 'mmpose_samples/posetrack18/videos/000001_mpiinew_test'
    from_folder = list(open_frame_reader(str(folder)))
    from_video = list(open_frame_reader(str(folder / '000001_mpiinew_test.mp4')))
    assert len(from_folder) == len(from_video) == 5
    assert from_folder[0].image.shape == from_video[0].image.shape
    # the mp4 is a lossy encoding of the same frames
    diff = np.abs(from_folder[3].image.astype(int) - from_video[3].image.astype(int)).mean()
    assert diff < 20
