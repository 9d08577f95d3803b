# The Re-ID-assisted variant: tracks left unmatched stay inactive for up to 10 frames with the
# mean of their last 10 appearance embeddings (colour histograms); still unmatched detections
# are assigned to them by Hungarian matching on cosine similarity > 0.5.
_base_ = ['./track_synthetic.py']
tracker = dict(reid=dict(embedder=dict(type='ColorHistogramEmbedder'), max_inactive=10,
                         window=10, threshold=0.5))
