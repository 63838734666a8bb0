"""Media files: type sniffing, EXIF, perceptual hashes, thumbnails, video, HLS, the blob store."""
