enum PipelineLayer {}
